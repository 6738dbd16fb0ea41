import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Studio } from '../../../src/main/studio/studio'
import type { StudioApi, StudioEvent } from '../../../src/shared/contract'
import type { PlanInput } from '../../../src/shared/plan'
import { isolatedEnv, smallHymenoptera } from '../../helpers/dataset'
import { tempDir } from '../../helpers/tmp'

// Real images, the real MobileNetV2, one engine worker: precompute, head training, a staged
// plan with a cache at the freeze boundary, and a run killed mid-way then resumed.
isolatedEnv()

const plan: PlanInput = {
  name: 'two stages',
  stages: [
    { name: 'head', freezeTo: -1, epochs: 3, lr: 3e-3, batchSize: 8 },
    { name: 'last group', freezeTo: -2, epochs: 2, lr: [1e-4, 1e-3], batchSize: 8 }
  ]
}

let studio: Studio
let api: StudioApi
let root: string

beforeAll(async () => {
  root = smallHymenoptera(12, 6)
  studio = new Studio({ engineWorkers: 1 })
  api = studio.api()
  await api.createProject({ path: path.join(tempDir(), 'p') })
  const report = await api.importFolder({ root })
  expect(report.imported).toBe(36)
}, 120_000)

afterAll(async () => {
  await studio.close()
})

describe('engine', () => {
  it('reports its backend and keeps a working one when a switch fails', async () => {
    expect(await api.engineInfo({})).toMatchObject({ backend: 'wasm', preference: 'auto' })
    await expect(api.setEngineBackend({ backend: 'tensorflow' })).rejects.toThrow(/tfjs-node/)
    expect(await api.engineInfo({})).toMatchObject({ backend: 'wasm', preference: 'auto' })
  })
})

describe('precompute', () => {
  it('computes every plain view once, then nothing', async () => {
    // before anything is computed, the status says what one click would do
    expect(await api.precomputeStatus({ views: 1 })).toMatchObject({
      backbone: 'mobilenet_v2_1.0_224',
      images: 36,
      wanted: 60,
      cached: 0,
      missing: 60,
      plain: { cached: 0, missing: 36 },
      bytes: 0
    })
    const first = await api.precompute({ views: 1 })
    expect(first).toMatchObject({ computed: 36 + 24, reused: 0, backend: 'wasm', backbone: 'mobilenet_v2_1.0_224' })
    expect(first.cache.bytes).toBeGreaterThan(0)
    const again = await api.precompute({ views: 1 })
    expect(again).toMatchObject({ computed: 0, reused: 60 })
    expect(await api.precomputeStatus({ views: 1 })).toMatchObject({ wanted: 60, cached: 60, missing: 0, plain: { cached: 36, missing: 0 } })
    // more views: the status and the precompute agree on what is missing
    const status = await api.precomputeStatus({ views: 2 })
    expect(status).toMatchObject({ wanted: 84, cached: 60, missing: 24 })
    expect(status.bytes).toBe(again.cache.bytes)
    expect(await api.precompute({ views: 2 })).toMatchObject({ computed: 24, reused: 60 })
    await expect(api.precomputeStatus({ views: 17 })).rejects.toThrow(/at most 16 augmented views/)
  })

  it('leaves the worker with no leaked tensors', async () => {
    const before = (await studio.engine().stats())[0]!.numTensors
    await api.precompute({ views: 0 })
    expect((await studio.engine().stats())[0]!.numTensors).toBe(before)
  })
})

describe('training', () => {
  it('trains a head on the cache and predicts with the kept model', async () => {
    const events: StudioEvent[] = []
    const off = studio.subscribe((e) => events.push(e))
    const r = await api.train({ epochs: 4, lr: 3e-3 })
    off()
    expect(r.stages).toHaveLength(1)
    expect(r.stages[0]!.cache).toBe('Conv2d_18_1_relu6')
    expect(r.epochs).toHaveLength(4)
    expect(r.valid.accuracy).toBeGreaterThanOrEqual(0.75)
    expect(r.valid.confusion.flat().reduce((a, b) => a + b, 0)).toBe(12)
    expect(events.filter((e) => e.event === 'trainEpoch')).toHaveLength(4)
    expect(events.find((e) => e.event === 'jobFinished' && e.payload.kind === 'train')).toMatchObject({ payload: { ok: true, cancelled: false } })
    const model = await api.currentModel({})
    expect(model?.modelId).toBe(r.modelId)
    const { results } = await api.predict({ paths: [path.join(root, 'val/ants', (await import('node:fs')).readdirSync(path.join(root, 'val/ants'))[0]!)] })
    expect(results[0]!.label).toBeDefined()
    expect(Object.values(results[0]!.probs!).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5)
  })

  it('runs a staged plan with a cache at the freeze boundary, without leaking tensors', async () => {
    const before = (await studio.engine().stats())[0]!.numTensors
    const caches = await api.estimateCaches({ plan })
    expect(caches.map((c) => c.boundary)).toEqual(['Conv2d_18_1_relu6', 'expanded_conv_16_add_add'])
    expect(caches[1]).toMatchObject({ cached: true, shape: [7, 7, 160] })
    const r = await api.train({ plan })
    expect(r.stages.map((s) => s.cache)).toEqual(['Conv2d_18_1_relu6', 'expanded_conv_16_add_add'])
    expect(r.stages[1]!.epochs).toHaveLength(2)
    expect((await studio.engine().stats())[0]!.numTensors).toBe(before)
  })

  it('resumes a killed run and ends where an unbroken run would have', async () => {
    const unbroken = await api.train({ plan, seed: 5 })

    // the engine worker dies right after the head's second epoch was checkpointed; workers copy
    // the environment when they start, so the next one (after this close) sees the fault
    await studio.engine().close()
    process.env.THAW_FAULT_CRASH_WORKER_AFTER_CHECKPOINT = '1:2'
    try {
      await expect(api.train({ plan, seed: 5 })).rejects.toMatchObject({ code: 'ENGINE_CRASHED' })
    } finally {
      delete process.env.THAW_FAULT_CRASH_WORKER_AFTER_CHECKPOINT
    }
    expect(await api.interruptedRun({})).toMatchObject({ plan: 'two stages', stage: 'head', stageIndex: 0, epochsDone: 2, stageEpochs: 3, stages: 2 })
    const resumed = await api.train({ resume: true })
    expect(await api.interruptedRun({})).toBeNull()
    expect(resumed.epochs.map((e) => e.epoch)).toEqual(unbroken.epochs.map((e) => e.epoch))
    resumed.epochs.forEach((e, i) => {
      expect(e.trainLoss).toBeCloseTo(unbroken.epochs[i]!.trainLoss, 4)
      expect(e.validLoss).toBeCloseTo(unbroken.epochs[i]!.validLoss, 4)
    })
    expect(resumed.valid.accuracy).toBe(unbroken.valid.accuracy)
    await expect(api.train({ resume: true })).rejects.toThrow(/no interrupted training run/)
    expect(await api.discardInterruptedRun({})).toEqual({ discarded: 0 })
  })

  it('refuses a project that cannot be trained', async () => {
    const other = new Studio({ engineWorkers: 1 })
    await other.api().createProject({ path: path.join(tempDir(), 'empty') })
    await expect(other.api().train({ epochs: 1 })).rejects.toThrow(/at least two classes/)
    await other.close()
  })
})
