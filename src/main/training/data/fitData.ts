// What the fit loop reads batches from, whatever holds the data (activationData.ts, imageData.ts).
import * as tf from '@tensorflow/tfjs'

export interface Batch {
  x: tf.Tensor
  labels: tf.Tensor1D
}

/** Where the fit loop gets its batches: from cached activations, or from images run through
 * the frozen part of the network. The consumer disposes every tensor it receives. */
export interface FitData {
  readonly trainSize: number
  readonly validLabels: Int32Array
  trainBatches(epoch: number, batchSize: number, seed: number): AsyncGenerator<Batch>
  validBatches(batchSize: number): AsyncGenerator<Batch>
}

/** [start, end) of each batch. A last batch of one would break batch norm's statistics in
 * training, so it joins the batch before. */
export function batchBounds(n: number, batchSize: number): [number, number][] {
  const bounds: [number, number][] = []
  for (let i = 0; i < n; i += batchSize) bounds.push([i, Math.min(i + batchSize, n)])
  const last = bounds[bounds.length - 1]
  if (bounds.length > 1 && last && last[1] - last[0] === 1) {
    bounds.pop()
    bounds[bounds.length - 1]![1] = n
  }
  return bounds
}
