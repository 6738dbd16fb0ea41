// Runs in the engine worker. What every ONNX training step (headStep.ts, thawStep.ts) computes
// in JavaScript around its graph: the loss's targets and the batch norms' running statistics.

/** One-hot targets [n * classes], each row scaled by its example's share of the batch loss (its
 * class weight over the batch's total weight): the graph's loss is then the weighted mean
 * cross-entropy of weightedCrossEntropy (../../step.ts), PyTorch's CrossEntropyLoss(weight=...).
 * The shares are of the whole batch, so micro-batches' losses and gradients add up to it. */
export function lossTargets(labels: ArrayLike<number>, classes: number, classWeights: readonly number[] | null): Float32Array {
  const n = labels.length
  const weight = (i: number): number => (classWeights ? classWeights[labels[i]!]! : 1)
  let total = 0
  for (let i = 0; i < n; i++) total += weight(i)
  const target = new Float32Array(n * classes)
  for (let i = 0; i < n; i++) target[i * classes + labels[i]!] = weight(i) / total
  return target
}

/** A running statistic, as tfjs-layers' BatchNormalization updates it in training, in float32:
 * moving -= (moving - batch) * (1 - momentum). */
export function movingAverage(moving: Float32Array, batch: Float32Array, momentum: number): void {
  const f = Math.fround
  const decay = f(1 - momentum)
  for (let i = 0; i < moving.length; i++) moving[i] = moving[i]! - f(f(moving[i]! - batch[i]!) * decay)
}
