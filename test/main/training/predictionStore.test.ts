import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../../src/main/store/db'
import { setExcluded } from '../../../src/main/store/labels'
import { beginRun, saveModel } from '../../../src/main/training/modelStore'
import { changedPredictions, readPredictions, writePredictions } from '../../../src/main/training/predictionStore'
import { tempDir } from '../../helpers/tmp'

const classes = ['ants', 'bees']
const art = { topology: '{"modelTopology":{},"weightSpecs":[]}', weightData: Buffer.alloc(100, 1) }

function model(db: Db, runId: string): number {
  beginRun(db, { runId, backbone: 'bb', plan: { name: 'head only', stages: [] }, seed: 1, views: 0, auto: false })
  return saveModel(db, { backbone: 'bb', backboneSha256: 's', classes, plan: { name: 'head only' }, report: { valid: { accuracy: 1, loss: 0 }, epochs: [] }, run: { runId, seed: 1, views: 0, datasetSha256: 'd' } }, art)
}

function project(): { db: Db; ids: number[] } {
  const db = openDatabase(path.join(tempDir(), 'p.sqlite'), { create: true })
  const add = db.prepare(`INSERT INTO images (path, root, rel_path, split, status, hash, imported_at, updated_at) VALUES (?, '/x', ?, 'valid', 'ok', ?, 'now', 'now')`)
  const ids = ['a', 'b', 'c'].map((n) => Number(add.run(`/x/${n}.jpg`, `${n}.jpg`, `h${n}`).lastInsertRowid))
  return { db, ids }
}

const row = (hash: string, ants: number) => ({ hash, probs: Float32Array.from([ants, 1 - ants]) })

describe('stored predictions and exclusion', () => {
  it('compares two models over the images not excluded: an excluded image neither changes nor counts', () => {
    const { db, ids } = project()
    const a = model(db, 'r1')
    const b = model(db, 'r2')
    // a and b disagree on images a and b, agree on c
    writePredictions(db, a, classes, [row('ha', 0.9), row('hb', 0.8), row('hc', 0.7)])
    writePredictions(db, b, classes, [row('ha', 0.1), row('hb', 0.2), row('hc', 0.6)])
    expect(changedPredictions(db, a, b)).toMatchObject({ compared: 3, changed: [{ imageId: ids[0] }, { imageId: ids[1] }] })

    setExcluded(db, [ids[0]!], true)
    const after = changedPredictions(db, a, b)
    expect(after.compared).toBe(2)
    expect(after.changed.map((c) => c.imageId)).toEqual([ids[1]])
    expect(after.changed[0]).toMatchObject({ a: { predicted: 'ants' }, b: { predicted: 'bees' } })
  })

  it('still reads an excluded image’s prediction (the grid shows it), marked excluded', () => {
    const { db, ids } = project()
    const a = model(db, 'r1')
    writePredictions(db, a, classes, [row('ha', 0.9), row('hb', 0.8), row('hc', 0.3)])
    setExcluded(db, [ids[2]!], true)
    const read = readPredictions(db, a, classes)
    expect(read.map((p) => [p.imageId, p.excluded, p.predicted])).toEqual([
      [ids[0], false, 'ants'],
      [ids[1], false, 'ants'],
      [ids[2], true, 'bees']
    ])
  })
})
