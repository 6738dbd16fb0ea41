import * as tf from '@tensorflow/tfjs'
import { readActivations, type ActivationSet } from '../../precompute/activationStore'
import type { Db } from '../../store/db'
import { mulberry32, shuffled } from '../../util/random'
import { damagedRowsError, nonFiniteRows } from '../finite'
import { batchBounds, type Batch, type FitData } from './fitData'
import type { LabelledSet } from './labelledSet'

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


/** Loads a stage's inputs from the activations table: views 0..`views` of every training image
 * (one sampled per epoch) and the plain view of every validation image. */
export function loadActivationData(db: Db, set: ActivationSet, data: LabelledSet, views: number): ActivationData {
  const keys: { hash: string; view: number }[] = []
  const train = data.train.map((img) => {
    const rows: number[] = []
    for (let v = 0; v <= views; v++) {
      rows.push(keys.length)
      keys.push({ hash: img.hash, view: v })
    }
    return { label: img.label, rows }
  })
  const valid = data.valid.map((img) => {
    keys.push({ hash: img.hash, view: 0 })
    return { label: img.label, row: keys.length - 1 }
  })
  const rows = readActivations(db, set, keys)
  // a damaged row (a float16 NaN) would train silently into a NaN model: stop, naming the images
  const bad = nonFiniteRows(rows, set.shape.reduce((a, b) => a * b, 1))
  if (bad.length) {
    const byHash = new Map([...data.train, ...data.valid].map((img) => [img.hash, img.path]))
    const drop = db.prepare('DELETE FROM activations WHERE set_id = ? AND hash = ? AND view = ?')
    db.transaction(() => {
      for (const r of bad) drop.run(set.id, keys[r]!.hash, keys[r]!.view)
    })()
    throw damagedRowsError([...new Set(bad.map((r) => byHash.get(keys[r]!.hash) ?? keys[r]!.hash))])
  }
  return new ActivationData(set.shape, rows, train, valid)
}
