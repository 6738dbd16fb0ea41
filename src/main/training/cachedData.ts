import { readActivations, type ActivationSet } from '../precompute/activationStore'
import type { Db } from '../store/db'
import { ActivationData } from './data'
import { damagedRowsError, nonFiniteRows } from './finite'
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
