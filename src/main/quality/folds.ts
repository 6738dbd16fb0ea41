import { mulberry32, seedFrom, shuffled } from '../util/random'

/**
 * Stratified k-fold: each class's items are shuffled (seeded) and dealt to the folds in turn,
 * the deal continuing from one class to the next, so every fold holds each class in proportion
 * and fold sizes differ by at most one. Returns the fold of each item.
 */
export function stratifiedFolds(labels: ArrayLike<number>, k: number, seed: number): Int32Array {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`folds must be an integer of at least 2, not ${k}`)
  const byClass = new Map<number, number[]>()
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!
    let list = byClass.get(c)
    if (!list) byClass.set(c, (list = []))
    list.push(i)
  }
  const fold = new Int32Array(labels.length)
  let cursor = 0
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    for (const i of shuffled(byClass.get(c)!, mulberry32(seedFrom(seed, 'fold', c)))) fold[i] = cursor++ % k
  }
  return fold
}
