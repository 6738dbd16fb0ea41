import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Callback } from '../../../../src/main/training/callbacks/callback'
import { EarlyStopping, stopsEarly } from '../../../../src/main/training/callbacks/earlyStopping'
import { Recorder } from '../../../../src/main/training/callbacks/recorder'
import { ActivationData } from '../../../../src/main/training/data/activationData'
import { fitStage } from '../../../../src/main/training/fit'
import { buildHead, headTrainable } from '../../../../src/main/training/head'
import type { TrainArgs } from '../../../../src/main/training/runPlan'
import type { EpochMetrics } from '../../../../src/shared/types'
import { stageSchema } from '../../../../src/shared/plan'

const epochs = (losses: number[]): EpochMetrics[] =>
  losses.map((validLoss, i) => ({ stage: 0, epoch: i + 1, trainLoss: 1, validLoss, validAccuracy: 0.5, ms: 1, trainMs: 1 }))

describe('stopsEarly', () => {
  it('never stops without patience', () => {
    expect(stopsEarly(epochs([1, 2, 3, 4, 5]), undefined)).toBe(false)
  })

  it('stops once the best epoch is `patience` epochs back, not before', () => {
    expect(stopsEarly(epochs([1, 0.5, 0.6]), 2)).toBe(false)
    expect(stopsEarly(epochs([1, 0.5, 0.6, 0.7]), 2)).toBe(true)
    // an equal loss is no improvement (fastai: min_delta 0, strictly lower)
    expect(stopsEarly(epochs([1, 0.5, 0.5, 0.5]), 2)).toBe(true)
    expect(stopsEarly(epochs([1, 0.9, 0.8, 0.7]), 1)).toBe(false)
    expect(stopsEarly(epochs([1]), 1)).toBe(false)
    expect(stopsEarly(epochs([1, 1.1]), 1)).toBe(true)
  })
})

describe('EarlyStopping in the fit loop', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm')
  })

  it('ends the stage at the epoch the history says, and every callback sees that last epoch', async () => {
    // labels unrelated to the features: validation loss cannot keep improving
    const rows = Float32Array.from({ length: 48 * 4 }, (_, i) => Math.sin(i * 12.9898) * 3)
    const train = Array.from({ length: 40 }, (_, i) => ({ label: i % 3 === 0 ? 1 : 0, rows: [i] }))
    const valid = Array.from({ length: 8 }, (_, i) => ({ label: i % 2, row: 40 + i }))
    const data = new ActivationData([4], rows, train, valid)
    const head = buildHead(4, 2, { hidden: 8 })
    const recorder = new Recorder({ runId: 'r', args: {} as TrainArgs, stageIndex: 0, epochsDone: 0, stages: [], history: [], batchesDone: 0 })
    recorder.beginStage(false)
    const seen: number[] = []
    const after: Callback = { afterEpoch: (m) => void seen.push(m.epoch) }
    const stage = stageSchema.parse({ epochs: 40, lr: 0.3, batchSize: 8, patience: 2, schedule: 'constant' })
    const before = tf.memory().numTensors
    const history = await fitStage(
      { stageIndex: 0, stage, model: headTrainable(head), data, classes: ['a', 'b'], classWeights: null, seed: 3 },
      [recorder, new EarlyStopping(recorder), after]
    )
    expect(tf.memory().numTensors).toBe(before)
    expect(history.length).toBeLessThan(40)
    expect(stopsEarly(history, 2)).toBe(true)
    // it stopped at the first epoch where it should have
    expect(stopsEarly(history.slice(0, -1), 2)).toBe(false)
    expect(seen).toEqual(history.map((m) => m.epoch))
    expect(recorder.stageHistory).toEqual(history)
    head.dispose()
  })
})
