import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { BestWeights } from '../../../../src/main/training/callbacks/bestWeights'
import type { Evaluation } from '../../../../src/main/training/fit'
import type { EpochMetrics } from '../../../../src/shared/types'

const metrics = (validLoss: number): EpochMetrics => ({ stage: 0, epoch: 1, trainLoss: 1, validLoss, validAccuracy: 0.5, ms: 1, trainMs: 1 })
const evaluation = (loss: number): Evaluation => ({ loss, accuracy: 0.5, classes: [], confusion: [], precision: [], recall: [], probs: new Float32Array() }) as unknown as Evaluation

describe('BestWeights', () => {
  it('keeps a copy of the weights of the lowest validation loss and puts them back', () => {
    const w: tf.Variable = tf.variable(tf.scalar(1))
    const set = (v: number): void => tf.tidy(() => w.assign(tf.scalar(v)))
    const before = tf.memory().numTensors
    const best = new BestWeights(() => [w])
    expect(best.restore(() => expect.unreachable('nothing to restore yet'))).toBeNull()
    best.afterEpoch(metrics(0.5), evaluation(0.5))
    set(2)
    best.afterEpoch(metrics(0.7), evaluation(0.7)) // worse: kept copy stays at 1
    set(3)
    best.afterEpoch(metrics(0.4), evaluation(0.4)) // better: now 3
    set(4)
    const e = best.restore(([t]) => w.assign(t!))
    expect(e?.loss).toBe(0.4)
    expect(w.dataSync()[0]).toBe(3)
    best.dispose()
    expect(tf.memory().numTensors).toBe(before)
    w.dispose()
  })
})
