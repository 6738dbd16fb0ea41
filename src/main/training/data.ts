import * as tf from '@tensorflow/tfjs'
import { mulberry32, shuffled } from '../util/random'

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

/** Cached activations held in memory: each training image has one or more views (the plain image
 * and augmented ones); each epoch shuffles the images and samples one view per image. */
export class ActivationData implements FitData {
  readonly rowSize: number
  readonly validLabels: Int32Array

  constructor(
    /** shape of one row: [2c] for pooled features, [h, w, c] at a freeze boundary */
    readonly rowShape: number[],
    /** all rows, back to back */
    readonly rows: Float32Array,
    readonly train: { label: number; rows: number[] }[],
    readonly valid: { label: number; row: number }[]
  ) {
    this.rowSize = rowShape.reduce((a, b) => a * b, 1)
    this.validLabels = Int32Array.from(valid.map((v) => v.label))
    if (rows.length % this.rowSize !== 0) throw new Error('activation rows do not match their shape')
  }

  get trainSize(): number {
    return this.train.length
  }

  private batch(rowIds: number[], labels: number[]): Batch {
    const buf = new Float32Array(rowIds.length * this.rowSize)
    rowIds.forEach((r, i) => buf.set(this.rows.subarray(r * this.rowSize, (r + 1) * this.rowSize), i * this.rowSize))
    return { x: tf.tensor(buf, [rowIds.length, ...this.rowShape]), labels: tf.tensor1d(labels, 'int32') }
  }

  async *trainBatches(_epoch: number, batchSize: number, seed: number): AsyncGenerator<Batch> {
    const rand = mulberry32(seed)
    const order = shuffled(this.train, rand)
    for (const [start, end] of batchBounds(order.length, batchSize)) {
      const items = order.slice(start, end)
      yield this.batch(
        items.map((it) => it.rows[Math.floor(rand() * it.rows.length)]!),
        items.map((it) => it.label)
      )
    }
  }

  async *validBatches(batchSize: number): AsyncGenerator<Batch> {
    for (let i = 0; i < this.valid.length; i += batchSize) {
      const items = this.valid.slice(i, i + batchSize)
      yield this.batch(
        items.map((it) => it.row),
        items.map((it) => it.label)
      )
    }
  }
}
