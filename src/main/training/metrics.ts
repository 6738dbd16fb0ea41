/** Validation metrics from predicted probabilities: loss, accuracy, confusion (rows = actual,
 * columns = predicted), per-class precision and recall. */
export interface ValidMetrics {
  loss: number
  accuracy: number
  classes: string[]
  confusion: number[][]
  precision: number[]
  recall: number[]
}

export function validMetrics(probs: Float32Array, labels: ArrayLike<number>, classes: string[]): ValidMetrics {
  const k = classes.length
  const n = labels.length
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0))
  let loss = 0
  let correct = 0
  for (let i = 0; i < n; i++) {
    const row = probs.subarray(i * k, (i + 1) * k)
    const actual = labels[i]!
    const predicted = argmax(row)
    confusion[actual]![predicted]!++
    if (predicted === actual) correct++
    loss -= Math.log(Math.max(row[actual]!, 1e-12))
  }
  const precision = classes.map((_, c) => safeDiv(confusion[c]![c]!, confusion.reduce((s, r) => s + r[c]!, 0)))
  const recall = classes.map((_, c) => safeDiv(confusion[c]![c]!, confusion[c]!.reduce((s, v) => s + v, 0)))
  return { loss: n ? loss / n : 0, accuracy: n ? correct / n : 0, classes, confusion, precision, recall }
}

/** Softmax of each row of `logits` [n * classes], in doubles (the largest logit subtracted first). */
export function softmaxRows(logits: Float32Array, classes: number): Float32Array {
  const probs = new Float32Array(logits.length)
  for (let r = 0; r < logits.length; r += classes) {
    let max = -Infinity
    for (let j = 0; j < classes; j++) max = Math.max(max, logits[r + j]!)
    let sum = 0
    for (let j = 0; j < classes; j++) sum += Math.exp(logits[r + j]! - max)
    for (let j = 0; j < classes; j++) probs[r + j] = Math.exp(logits[r + j]! - max) / sum
  }
  return probs
}

export function argmax(row: ArrayLike<number>): number {
  let best = 0
  for (let j = 1; j < row.length; j++) if (row[j]! > row[best]!) best = j
  return best
}

const safeDiv = (a: number, b: number): number => (b === 0 ? 0 : a / b)

/** Class weights from counts, N / (K * n_c), when the largest class is at least 1.5x the
 * smallest; null (plain mean) when the classes are about balanced. */
export function classWeightsFromCounts(counts: number[]): number[] | null {
  const present = counts.filter((c) => c > 0)
  if (present.length < 2) return null
  if (Math.max(...present) < 1.5 * Math.min(...present)) return null
  const n = counts.reduce((a, b) => a + b, 0)
  return counts.map((c) => (c > 0 ? n / (counts.length * c) : 0))
}
