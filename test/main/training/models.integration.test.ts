// Models as numbered records on real SQLite, real hymenoptera images and the real MobileNetV2:
// two runs kept, a cancelled run never chosen, choose, predictions on every image from the cache
// (train, valid, test, unlabelled), compare, accept a prediction as a label, export a named
// model, and the CLI's JSON shapes.
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Studio } from '../../../src/main/studio/studio'
import type { StudioApi } from '../../../src/shared/contract'
import { isolatedEnv, smallHymenoptera } from '../../helpers/dataset'
import { tempDir } from '../../helpers/tmp'

isolatedEnv()
const exec = promisify(execFile)
const repoRoot = path.resolve(__dirname, '../../..')

let studio: Studio
let api: StudioApi
let dir: string
let first: number
let second: number
let unlabelledIds: number[]
let testIds: number[]

const thaw = async (...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> => {
  try {
    const r = await exec(path.join(repoRoot, 'bin/thaw'), args, { env: process.env, maxBuffer: 64 * 1024 * 1024 })
    return { ...r, code: 0 }
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number }
    return { stdout: e.stdout, stderr: e.stderr, code: e.code }
  }
}

beforeAll(async () => {
  const root = smallHymenoptera(12, 6)
  studio = new Studio({ engineWorkers: 1 })
  api = studio.api()
  dir = path.join(tempDir(), 'p')
  await api.createProject({ path: dir })
  await api.importFolder({ root })
  // a few unlabelled and test images, which training never sees but predictions must cover
  const train = (await api.queryImages({ filter: { split: 'train' }, limit: 100 })).items
  unlabelledIds = train.slice(0, 3).map((i) => i.id)
  testIds = train.slice(12, 14).map((i) => i.id)
  await api.setLabel({ ids: unlabelledIds, classId: null })
  await api.setSplit({ ids: testIds, split: 'test' })
}, 120_000)

afterAll(async () => {
  await studio.close()
})

describe('every run is kept', () => {
  it('keeps two runs as numbered models, the newest finished one chosen', async () => {
    expect(await api.listModels({})).toMatchObject({ models: [], chosen: null })
    first = (await api.train({ epochs: 4, lr: 3e-3, seed: 1 })).modelId
    second = (await api.train({ epochs: 2, lr: 3e-3, seed: 2 })).modelId
    const list = await api.listModels({})
    expect(list.models.map((m) => m.id)).toEqual([second, first])
    expect(list.chosen).toBe(second)
    expect(list.pickedByUser).toBe(false)
    expect(list.models[1]).toMatchObject({ status: 'finished', seed: 1, views: 0, backbone: 'mobilenet_v2_1.0_224', usable: true, planName: 'head only', epochs: 4 })
    expect(list.models[1]!.datasetSha256).toMatch(/^[0-9a-f]{64}$/)
    expect(list.models[0]!.datasetSha256).toBe(list.models[1]!.datasetSha256)
    expect(list.totalBytes).toBe(list.models.reduce((n, m) => n + m.bytes, 0))
  })

  it('stores a prediction for every usable image after a run', async () => {
    const r = await api.predictAll({ modelId: second })
    expect(r.computed).toBe(0) // scored when the run ended
    expect(r.predictions).toHaveLength(36)
  })

  it('keeps a cancelled run without ever choosing it', async () => {
    const off = studio.subscribe((e) => {
      if (e.event === 'trainEpoch') for (const j of studio.jobs.active()) studio.jobs.cancel(j.jobId)
    })
    const r = await api.train({ epochs: 30, lr: 3e-3, seed: 3 })
    off()
    expect(r.cancelled).toBe(true)
    const list = await api.listModels({})
    expect(list.models[0]).toMatchObject({ id: r.modelId, status: 'cancelled', chosen: false, usable: true })
    expect(list.chosen).toBe(second)
    await api.deleteModel({ id: r.modelId })
  })

  it("chooses the user's pick; predict and export use it, or the model named", async () => {
    const list = await api.chooseModel({ id: first })
    expect(list).toMatchObject({ chosen: first, pickedByUser: true })
    expect((await api.currentModel({}))!.modelId).toBe(first)
    const one = (await api.queryImages({ filter: { split: 'valid' }, limit: 1 })).items[0]!
    const file = (await api.imageDetail({ id: one.id })).path
    expect((await api.predict({ paths: [file] })).modelId).toBe(first)
    expect((await api.predict({ paths: [file], modelId: second })).modelId).toBe(second)
    await expect(api.predict({ paths: [file], modelId: 999 })).rejects.toMatchObject({ code: 'UNKNOWN_MODEL' })
    await expect(api.chooseModel({ id: 999 })).rejects.toMatchObject({ code: 'UNKNOWN_MODEL' })
    expect((await api.listModels({})).chosen).toBe(first)
  })
})

describe('predictions on every image', () => {
  it('scores every usable image from the cache, labelled or not, without leaking tensors', async () => {
    const before = (await studio.engine().stats())[0]!.numTensors
    const r = await api.predictAll({})
    expect((await studio.engine().stats())[0]!.numTensors).toBe(before)
    expect(r.model).toBe(first)
    expect(r.predictions).toHaveLength(36)
    const byId = new Map(r.predictions.map((p) => [p.imageId, p]))
    for (const id of unlabelledIds) expect(byId.get(id)).toMatchObject({ label: null, split: 'train' })
    for (const id of testIds) expect(byId.get(id)!.split).toBe('test')
    for (const p of r.predictions) {
      expect(Object.keys(p.probs).sort()).toEqual(['ants', 'bees'])
      expect(p.probs.ants! + p.probs.bees!).toBeCloseTo(1, 5)
      expect(p.confidence).toBeCloseTo(Math.max(p.probs.ants!, p.probs.bees!), 6)
      expect(p.predicted).toBe(p.probs.ants! > p.probs.bees! ? 'ants' : 'bees')
    }
  })

  it('agrees with the whole network run over the image files', async () => {
    const r = await api.predictAll({})
    const sample = r.predictions.slice(0, 6)
    const { results } = await api.predict({ paths: sample.map((p) => p.path) })
    for (const [i, p] of sample.entries()) {
      // the cache holds float16 features: close, not bit-equal
      expect(Math.abs(results[i]!.probs!.ants! - p.probs.ants!)).toBeLessThan(0.02)
    }
  })

  it('scores a new image on demand, reusing the rest', async () => {
    await api.setLabel({ ids: [unlabelledIds[0]!], classId: null }) // no change: still 36 rows
    const r = await api.predictAll({ modelId: first, withPredictions: false })
    expect(r).toMatchObject({ computed: 0, predictions: [] })
  })

  it('filters the grid by disagreement, confidence and margin, with a badge on each cell', async () => {
    const all = await api.queryImages({ filter: {}, limit: 100 })
    expect(all.items.every((i) => i.prediction && i.prediction.confidence > 0)).toBe(true)
    const disagreeing = await api.queryImages({ filter: { disagrees: true }, limit: 100 })
    for (const i of disagreeing.items) {
      expect(i.classId).not.toBeNull()
      expect(i.prediction!.disagrees).toBe(true)
    }
    const low = await api.queryImages({ filter: { confidenceBelow: 0.9 }, limit: 100 })
    for (const i of low.items) expect(i.prediction!.confidence).toBeLessThan(0.9)
    const byMargin = await api.queryImages({ filter: { classId: 'unlabelled', order: 'margin' }, limit: 100 })
    expect(byMargin.items.map((i) => i.id).sort()).toEqual([...unlabelledIds].sort())
    const margins = byMargin.items.map((i) => i.prediction!.margin)
    expect(margins).toEqual([...margins].sort((a, b) => a - b))
    const last = byMargin.items[byMargin.items.length - 1]!
    expect((await api.indexOfImage({ id: last.id, filter: { classId: 'unlabelled', order: 'margin' } })).index).toBe(byMargin.items.length - 1)
    await expect(api.queryImages({ filter: { confidenceBelow: 1.5 } })).rejects.toMatchObject({ code: 'BAD_ARGS' })
  })

  it('accepts predictions as labels in one undoable change', async () => {
    const r = await api.acceptPredictions({ ids: unlabelledIds })
    expect(r).toEqual({ changed: 3, skipped: 0 })
    const classes = await api.listClasses({})
    const preds = new Map((await api.predictAll({})).predictions.map((p) => [p.imageId, p]))
    for (const id of unlabelledIds) {
      const item = await api.imageDetail({ id })
      expect(classes.find((c) => c.id === item.classId)!.name).toBe(preds.get(id)!.predicted)
    }
    await api.undo({})
    for (const id of unlabelledIds) expect((await api.imageDetail({ id })).classId).toBeNull()
    // bulk: every image under the filter whose confidence reaches the threshold
    // just above the least confident one (a confident model may give it 1: thresholds stop at 1)
    const threshold = Math.min(1, Math.min(...unlabelledIds.map((id) => preds.get(id)!.confidence)) + 1e-7)
    const confident = unlabelledIds.filter((id) => preds.get(id)!.confidence >= threshold).length
    expect(await api.acceptPredictions({ filter: { classId: 'unlabelled' }, minConfidence: threshold })).toEqual({ changed: confident, skipped: 3 - confident })
    await api.undo({})
    expect((await api.queryImages({ filter: { classId: 'unlabelled' } })).total).toBe(3)
    await expect(api.acceptPredictions({ ids: [1], filter: {} })).rejects.toMatchObject({ code: 'BAD_ARGS' })
  })
})

describe('compare', () => {
  it('puts two models side by side with the images whose prediction changed', async () => {
    const c = await api.compareModels({ a: first, b: second })
    expect(c.a.id).toBe(first)
    expect(c.b.id).toBe(second)
    expect(c.a.summary!.confusion.flat().reduce((x, y) => x + y, 0)).toBe(12)
    expect(c.b.summary!.confusion).toHaveLength(2)
    expect(c.a.curves).toHaveLength(4)
    expect(c.b.curves).toHaveLength(2)
    expect(c.compared).toBe(36)
    for (const x of c.changed) expect(x.a.predicted).not.toBe(x.b.predicted)
    await expect(api.compareModels({ a: first, b: first })).rejects.toMatchObject({ code: 'BAD_ARGS' })
    await expect(api.compareModels({ a: first, b: 999 })).rejects.toMatchObject({ code: 'UNKNOWN_MODEL' })
  })

  it('renames, notes and deletes a model; deleting the chosen one picks by the rule', async () => {
    const m = await api.updateModel({ id: first, name: 'four epochs', note: 'seed 1' })
    expect(m).toMatchObject({ name: 'four epochs', note: 'seed 1', chosen: true })
    const third = (await api.train({ epochs: 1, seed: 4 })).modelId
    expect((await api.listModels({})).chosen).toBe(first)
    const r = await api.deleteModel({ id: first })
    expect(r.freedBytes).toBeGreaterThan(1e6)
    expect(r.chosen).toBe(third)
    expect((await api.listModels({})).models.map((x) => x.id)).toEqual([third, second])
    first = third
  })
})

describe('the command line', () => {
  it('prints the models, newest first, in the shape of the issue', async () => {
    await studio.close()
    const r = await thaw('models', dir, '--json')
    expect(r.code).toBe(0)
    const out = JSON.parse(r.stdout) as { models: Record<string, unknown>[] }
    expect(out.models.map((m) => m.id)).toEqual([first, second])
    for (const m of out.models) {
      for (const k of ['id', 'name', 'status', 'chosen', 'createdAt', 'plan', 'seed', 'backbone', 'valid', 'bytes']) expect(m).toHaveProperty(k)
      expect(['finished', 'cancelled', 'interrupted']).toContain(m.status)
      expect(Object.keys(m.valid as object).sort()).toEqual(['accuracy', 'loss'])
    }
    expect(out.models[0]!.chosen).toBe(true)
  }, 60_000)

  it('chooses, predicts every image with --all, and refuses an unknown id with its code', async () => {
    expect(JSON.parse((await thaw('choose', dir, String(second), '--json')).stdout)).toEqual({ chosen: second })
    const all = await thaw('predict', dir, '--all', '--json')
    expect(all.code).toBe(0)
    const out = JSON.parse(all.stdout) as { model: number; predictions: Record<string, unknown>[] }
    expect(out.model).toBe(second)
    expect(out.predictions).toHaveLength(36)
    expect(Object.keys(out.predictions[0]!).sort()).toEqual(['confidence', 'excluded', 'label', 'path', 'predicted', 'probs', 'split'])
    expect(out.predictions.every((p) => p.excluded === false)).toBe(true)
    expect(out.predictions.filter((p) => p.label === null)).toHaveLength(3)
    const withModel = JSON.parse((await thaw('predict', dir, '--all', '--model', String(first), '--json')).stdout) as { model: number }
    expect(withModel.model).toBe(first)

    const bad = await thaw('choose', dir, '999', '--json')
    expect(bad.code).not.toBe(0)
    expect(JSON.parse(bad.stdout).error.code).toBe('UNKNOWN_MODEL')
    const typo = await thaw('predict', dir, '--all', '--model', 'two', '--json')
    expect(typo.stderr.trim().split('\n').pop()).toMatch(/--model must be a model id/)
    expect(JSON.parse((await thaw('models', dir, '--json')).stdout).models.find((m: { chosen: boolean }) => m.chosen).id).toBe(second)
  }, 120_000)

  it('exports the model named with --model', async () => {
    const out = path.join(tempDir(), 'bundle')
    const r = await thaw('export', dir, '--format', 'tfjs', '--out', out, '--model', String(first), '--json')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).modelId).toBe(first)
    expect(fs.existsSync(path.join(out, 'model.json'))).toBe(true)
  }, 180_000)

  it('deletes a model', async () => {
    const r = await thaw('models', dir, '--delete', String(first), '--json')
    expect(JSON.parse(r.stdout)).toMatchObject({ deleted: first, chosen: second })
    expect(JSON.parse((await thaw('models', dir, '--json')).stdout).models.map((m: { id: number }) => m.id)).toEqual([second])
  }, 60_000)
})
