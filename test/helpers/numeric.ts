/** The largest |a - b|, relative to the largest |b| (the reference's scale): the measure the
 * gradient checks state their tolerances in. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1e-6
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!))
  let diff = 0
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i]! - b[i]!))
  return diff / scale
}
