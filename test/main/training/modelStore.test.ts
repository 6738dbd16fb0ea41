import Database from 'better-sqlite3'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../../src/main/store/db'
import { migrate, migrations } from '../../../src/main/store/migrations'
import {
  beginRun,
  chooseModel,
  chosenModelId,
  continueRun,
  deleteModel,
  dropEmptyRun,
  keepLatestAutoRun,
  listModels,
  modelMeta,
  saveModel,
  updateModel
} from '../../../src/main/training/modelStore'
import { writePredictions } from '../../../src/main/training/predictionStore'
import { tempDir } from '../../helpers/tmp'

const art = { topology: '{"modelTopology":{},"weightSpecs":[]}', weightData: Buffer.alloc(1000, 7) }
const report = (accuracy: number, cancelled = false) => ({ valid: { accuracy, loss: 1 - accuracy }, epochs: [{}, {}], cancelled, views: 0 })

function run(db: Database.Database, runId: string, accuracy: number, opts: { cancelled?: boolean; auto?: boolean } = {}): number {
  beginRun(db, { runId, backbone: 'bb', plan: { name: 'head only', stages: [] }, seed: 42, views: 0, auto: !!opts.auto })
  return saveModel(
    db,
    { backbone: 'bb', backboneSha256: 'sha', classes: ['a', 'b'], plan: { name: 'head only' }, report: report(accuracy, opts.cancelled), run: { runId, seed: 42, views: 0, datasetSha256: 'd' } },
    art
  )
}

const newDb = (): Database.Database => openDatabase(path.join(tempDir(), 't.sqlite'), { create: true })

describe('model records', () => {
  it('keeps every run, newest first, and fills in the record a run began', () => {
    const db = newDb()
    const a = run(db, 'r1', 0.9)
    const b = run(db, 'r2', 0.8)
    expect(b).toBeGreaterThan(a)
    const list = listModels(db)
    expect(list.map((m) => m.id)).toEqual([b, a])
    expect(list[0]).toMatchObject({ name: `Model ${b}`, status: 'finished', chosen: true, usable: true, seed: 42, datasetSha256: 'd', valid: { accuracy: 0.8 } })
    expect(list[0]!.bytes).toBeGreaterThan(1000)
  })

  it('never lets a cancelled run become chosen by itself, and keeps it', () => {
    const db = newDb()
    const a = run(db, 'r1', 0.95)
    const b = run(db, 'r2', 0.94, { cancelled: true })
    expect(chosenModelId(db)).toBe(a)
    expect(listModels(db).find((m) => m.id === b)).toMatchObject({ status: 'cancelled', chosen: false, usable: true })
    expect(modelMeta(db)!.id).toBe(a) // predict and export default to the chosen model
  })

  it("keeps the user's pick over newer runs; deleting it picks by the rule again", () => {
    const db = newDb()
    const a = run(db, 'r1', 0.97)
    const b = run(db, 'r2', 0.941)
    chooseModel(db, a)
    const c = run(db, 'r3', 0.5)
    expect(chosenModelId(db)).toBe(a)
    deleteModel(db, a)
    expect(chosenModelId(db)).toBe(c)
    expect(listModels(db).map((m) => m.id)).toEqual([c, b])
  })

  it('refuses unknown ids and runs without weights with their own codes, changing nothing', () => {
    const db = newDb()
    const a = run(db, 'r1', 0.9)
    beginRun(db, { runId: 'killed', backbone: 'bb', plan: {}, seed: 1, views: 0, auto: false })
    const killed = listModels(db)[0]!
    expect(killed).toMatchObject({ status: 'interrupted', usable: false, valid: null })
    expect(() => chooseModel(db, 99)).toThrow(expect.objectContaining({ code: 'UNKNOWN_MODEL' }))
    expect(() => chooseModel(db, killed.id)).toThrow(expect.objectContaining({ code: 'MODEL_NOT_USABLE' }))
    expect(() => modelMeta(db, 99)).toThrow(expect.objectContaining({ code: 'UNKNOWN_MODEL' }))
    expect(() => deleteModel(db, 99)).toThrow(expect.objectContaining({ code: 'UNKNOWN_MODEL' }))
    expect(() => updateModel(db, 99, { name: 'x' })).toThrow(expect.objectContaining({ code: 'UNKNOWN_MODEL' }))
    expect(chosenModelId(db)).toBe(a)
    expect(listModels(db)).toHaveLength(2)
  })

  it('names and notes a model', () => {
    const db = newDb()
    const a = run(db, 'r1', 0.9)
    updateModel(db, a, { name: '  lr 3e-3 ', note: 'the good one' })
    expect(listModels(db)[0]).toMatchObject({ name: 'lr 3e-3', note: 'the good one' })
    updateModel(db, a, { name: '' })
    expect(listModels(db)[0]!.name).toBe(`Model ${a}`)
  })

  it('continues the record of a resumed run and says where from', () => {
    const db = newDb()
    beginRun(db, { runId: 'r1', backbone: 'bb', plan: {}, seed: 3, views: 0, auto: false })
    const id = continueRun(db, { runId: 'r1', backbone: 'bb', plan: {}, seed: 3, views: 0 }, { stageIndex: 1, epochsDone: 2 })
    const saved = saveModel(db, { backbone: 'bb', backboneSha256: 's', classes: ['a', 'b'], plan: {}, report: report(0.9), run: { runId: 'r1', seed: 3, views: 0, datasetSha256: 'd' } }, art)
    expect(saved).toBe(id)
    expect(listModels(db)).toHaveLength(1)
    expect(listModels(db)[0]).toMatchObject({ status: 'finished', continuedFrom: { runId: 'r1', stageIndex: 1, epochsDone: 2 } })
  })

  it('forgets a run that kept nothing, but not one with a checkpoint or weights', () => {
    const db = newDb()
    beginRun(db, { runId: 'empty', backbone: 'bb', plan: {}, seed: 1, views: 0, auto: false })
    beginRun(db, { runId: 'resumable', backbone: 'bb', plan: {}, seed: 1, views: 0, auto: false })
    db.prepare(`INSERT INTO checkpoints (run_id, created_at, state, weights) VALUES ('resumable', 'now', '{}', x'00')`).run()
    run(db, 'kept', 0.9)
    for (const id of ['empty', 'resumable', 'kept']) dropEmptyRun(db, id)
    expect(listModels(db).map((m) => m.status)).toEqual(['finished', 'interrupted'])
  })

  it('keeps only the latest auto run, never chosen by itself', () => {
    const db = newDb()
    const manual = run(db, 'm', 0.9)
    const auto1 = run(db, 'a1', 0.99, { auto: true })
    keepLatestAutoRun(db)
    const auto2 = run(db, 'a2', 0.99, { auto: true })
    expect(keepLatestAutoRun(db)).toEqual([auto1])
    expect(listModels(db).map((m) => m.id)).toEqual([auto2, manual])
    expect(chosenModelId(db)).toBe(manual)
    chooseModel(db, auto2) // picked by the user: kept when the next auto run comes
    run(db, 'a3', 0.99, { auto: true })
    expect(keepLatestAutoRun(db)).toEqual([])
    expect(chosenModelId(db)).toBe(auto2)
  })

  it('deletes predictions with their model and reports the bytes freed', () => {
    const db = newDb()
    const a = run(db, 'r1', 0.9)
    writePredictions(db, a, ['a', 'b'], [{ hash: 'h1', probs: Float32Array.of(0.2, 0.8) }])
    const bytes = listModels(db)[0]!.bytes
    expect(bytes).toBeGreaterThan(1000 + 8)
    expect(deleteModel(db, a)).toBe(bytes)
    expect(db.prepare('SELECT count(*) FROM model_predictions').pluck().get()).toBe(0)
    expect(db.pragma('auto_vacuum', { simple: true })).toBe(2) // new projects give pages back
  })
})

describe("migration 5", () => {
  it('keeps the models an older studio kept, with their ids and status', () => {
    const db = new Database(':memory:')
    migrate(db, migrations.filter((m) => m.version <= 3))
    const insert = db.prepare(`INSERT INTO models (created_at, backbone, backbone_sha256, classes, plan, report, weights) VALUES ('2026-01-01', 'bb', 's', '["a","b"]', '{"name":"head only"}', ?, x'7b7d0a00')`)
    insert.run(JSON.stringify({ ...report(0.954), cancelled: false }))
    insert.run(JSON.stringify({ ...report(0.948), cancelled: true }))
    migrate(db)
    const list = listModels(db)
    expect(list.map((m) => [m.id, m.status, m.chosen])).toEqual([
      [2, 'cancelled', false],
      [1, 'finished', true]
    ])
    expect(modelMeta(db)!.id).toBe(1)
  })
})
