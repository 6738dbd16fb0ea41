import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { beforeAll, describe, expect, it } from 'vitest'
import type { FastStep, StepBatch } from '../../../../src/main/training/engines/fastStep'
import { fitStage } from '../../../../src/main/training/fit'
import { buildHead, headTrainable } from '../../../../src/main/training/head'
import type { Trainable } from '../../../../src/main/training/step'
import { stageSchema } from '../../../../src/shared/plan'
import { blobs } from '../../../helpers/blobs'

beforeAll(async () => {
  await tf.setBackend('wasm')
})

/** An engine that records what the fit loop asks of it; `fail` makes one call go wrong. */
class Recording implements FastStep {
  readonly calls: string[] = []
  constructor(private readonly fail: { step?: number; stepNaN?: number; sync?: boolean; decline?: boolean } = {}) {}
  async begin(): Promise<string | null> {
    this.calls.push('begin')
    return this.fail.decline ? 'declined by the test' : null
  }
  async step(_batch: StepBatch): Promise<number> {
    const k = this.calls.filter((c) => c === 'step').length
    this.calls.push('step')
    if (this.fail.step === k) throw new Error('step failed')
    return this.fail.stepNaN === k ? NaN : 0.5
  }
  async sync(): Promise<void> {
    this.calls.push('sync')
    if (this.fail.sync) throw new Error('sync failed')
  }
  async end(): Promise<void> {
    this.calls.push('end')
  }
  describe(): string {
    return 'recording'
  }
}

const data = blobs({ n: 40, dim: 8 })
const stage = stageSchema.parse({ epochs: 3, lr: 1e-2, batchSize: 10 })

async function fitWith(engine: FastStep, opts: { stopAfter?: number; cancelAt?: number } = {}): Promise<{ error: unknown; head: tf.LayersModel }> {
  const head = buildHead(8, 2, { hidden: 8 })
  const base = headTrainable(head)
  const model: Trainable = { ...base, fast: engine }
  const abort = new AbortController()
  let batches = 0
  let error: unknown = null
  try {
    await fitStage({ stageIndex: 0, stage, model, data, classes: ['a', 'b'], classWeights: null, seed: 1, signal: abort.signal }, [
      {
        afterBatch: () => {
          if (++batches === opts.cancelAt) abort.abort()
        },
        afterEpoch: (m) => (m.epoch === opts.stopAfter ? 'stop' : undefined)
      }
    ])
  } catch (err) {
    error = err
  }
  return { error, head }
}

describe('FastStep.end: the fit loop ends the engine\'s stage however the stage ends', () => {
  it('after the last sync of a stage that ran all its epochs', async () => {
    const engine = new Recording()
    const { error, head } = await fitWith(engine)
    expect(error).toBeNull()
    expect(engine.calls.filter((c) => c === 'step')).toHaveLength(3 * 3) // 30 train items / 10 a batch, 3 epochs
    expect(engine.calls.slice(-2)).toEqual(['sync', 'end'])
    expect(engine.calls.filter((c) => c === 'end')).toHaveLength(1)
    head.dispose()
  })

  it('when early stopping ends the stage', async () => {
    const engine = new Recording()
    const { error, head } = await fitWith(engine, { stopAfter: 1 })
    expect(error).toBeNull()
    expect(engine.calls.filter((c) => c === 'step')).toHaveLength(3)
    expect(engine.calls.slice(-2)).toEqual(['sync', 'end'])
    head.dispose()
  })

  it('when the stage is cancelled', async () => {
    const engine = new Recording()
    const { error, head } = await fitWith(engine, { cancelAt: 4 })
    expect((error as { code?: string }).code).toBe('CANCELLED')
    expect(engine.calls.filter((c) => c === 'step')).toHaveLength(4)
    expect(engine.calls.slice(-2)).toEqual(['sync', 'end'])
    head.dispose()
  })

  it('when a step fails, or its loss is not finite', async () => {
    for (const fail of [{ step: 2 }, { stepNaN: 1 }]) {
      const engine = new Recording(fail)
      const { error, head } = await fitWith(engine)
      expect(error).toBeInstanceOf(Error)
      expect(engine.calls.slice(-2)).toEqual(['sync', 'end'])
      expect(engine.calls.filter((c) => c === 'end')).toHaveLength(1)
      head.dispose()
    }
  })

  it('when the hand-back itself fails (the failure still reaches the caller)', async () => {
    const engine = new Recording({ sync: true })
    const { error, head } = await fitWith(engine)
    expect((error as Error).message).toBe('sync failed')
    expect(engine.calls.slice(-2)).toEqual(['sync', 'end'])
    head.dispose()
  })

  it('not when the engine declined the stage (TF.js ran it)', async () => {
    const engine = new Recording({ decline: true })
    const { error, head } = await fitWith(engine)
    expect(error).toBeNull()
    expect(engine.calls).toEqual(['begin'])
    head.dispose()
  })
})
