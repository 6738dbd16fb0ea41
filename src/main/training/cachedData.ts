import { readActivations, type ActivationSet } from '../precompute/activationStore'
import type { Db } from '../store/db'
import { ActivationData } from './data'
import type { LabelledSet } from './dataset'

/** Loads a stage's inputs from the activations table: views 0..`views` of every training image
 * (one sampled per epoch) and the plain view of every validation image. */
export function cachedData(db: Db, set: ActivationSet, data: LabelledSet, views: number): ActivationData {
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
  return new ActivationData(set.shape, readActivations(db, set, keys), train, valid)
}
