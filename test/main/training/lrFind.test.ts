// The LR range test runs its steps where a stage's steps run: on the head's native engine
// (ONNX Runtime, every core) when it starts, on TF.js otherwise, and says which.
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { releaseHeadSessions } from '../../../src/main/training/engines/onnx/headStep'
import { buildHead, headTrainable } from '../../../src/main/training/head'
import { findLr, valley } from '../../../src/main/training/lrFind'
import type { Trainable } from '../../../src/main/training/step'
import { stageSchema } from '../../../src/shared/plan'
import { blobs } from '../../helpers/blobs'

beforeAll(async () => {
  await tf.setBackend('wasm')
})
afterAll(() => releaseHeadSessions())


describe('findLr', () => {
  it('sweeps on ONNX Runtime with the losses TF.js gives, and leaves the TF.js weights alone', async () => {
    const data = blobs({ n: 96, dim: 16, seed: 6, off: -1, noise: { uniform: 3 }, validEvery: 0 })
    const stage = stageSchema.parse({ epochs: 1, lr: 1e-3, batchSize: 16, weightDecay: 0.01 })
    const run = async (native: boolean) => {
      const head = buildHead(16, 2, { hidden: 8, seed: 2 })
      const base = headTrainable(head)
      const model: Trainable = native ? base : { forward: base.forward, groups: base.groups }
      const before = head.getWeights().map((w) => w.dataSync().slice())
      const r = await findLr(model, data, stage, { steps: 60, seed: 3 })
      const after = head.getWeights().map((w) => w.dataSync().slice())
      head.dispose()
      return { r, unchanged: after.every((w, i) => w.every((v, j) => v === before[i]![j])) }
    }
    const tensors = tf.memory().numTensors
    const viaTf = await run(false)
    const viaOrt = await run(true)
    expect(tf.memory().numTensors).toBe(tensors)
    expect(viaTf.r.runtime).toMatch(/^tfjs wasm \(no native engine/)
    expect(viaOrt.r.runtime).toMatch(/^onnxruntime-node \(cpu, \d+ threads\)$/)
    expect(viaOrt.unchanged).toBe(true) // the engine's copy took the sweep
    expect(viaTf.unchanged).toBe(false)
    expect(viaOrt.r.lrs).toEqual(viaTf.r.lrs.slice(0, viaOrt.r.lrs.length))
    // the same steps while the rates are sane (past 0.1 a sweep diverges on purpose, and chaotically)
    const sane = viaTf.r.lrs.filter((lr) => lr < 0.1).length
    expect(sane).toBeGreaterThan(30)
    for (let i = 0; i < sane; i++) expect(Math.abs(viaOrt.r.losses[i]! - viaTf.r.losses[i]!), `step ${i}`).toBeLessThan(1e-3)
    expect(viaOrt.r.suggestion).toBe(valley(viaOrt.r.lrs, viaOrt.r.losses))
  })
})
