import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { beforeAll, describe, expect, it } from 'vitest'
import { batchBounds } from '../../../src/main/training/data/fitData'
import { evaluate, fitStage, type EpochMetrics, type StagePhases } from '../../../src/main/training/fit'
import { buildHead, headTrainable } from '../../../src/main/training/head'
import { classWeightsFromCounts, validMetrics } from '../../../src/main/training/metrics'
import { trainStep, weightedCrossEntropy, type Trainable } from '../../../src/main/training/step'
import { stageSchema } from '../../../src/shared/plan'
import { blobs } from '../../helpers/blobs'

beforeAll(async () => {
  await tf.setBackend('wasm')
})

/** Two gaussian blobs in `dim` dimensions, with `views` noisy copies per training item. */
const separated = (n: number, dim: number, views = 1, seed = 1) => blobs({ n, dim, views, seed, on: 1.5, off: -1.5 })

describe('fit loop', () => {
  it('trains a head to separate two classes, without leaking tensors', async () => {
    const data = separated(200, 16, 3)
    const head = buildHead(16, 2, { hidden: 32 })
    const before = tf.memory().numTensors
    const history: EpochMetrics[] = []
    const stage = stageSchema.parse({ epochs: 6, lr: 1e-2, batchSize: 16 })
    await fitStage(
      { stageIndex: 0, stage, model: headTrainable(head), data, classes: ['a', 'b'], classWeights: null, seed: 7 },
      [{ afterEpoch: (m) => void history.push(m) }]
    )
    expect(tf.memory().numTensors).toBe(before)
    expect(history).toHaveLength(6)
    expect(history.at(-1)!.validAccuracy).toBeGreaterThan(0.95)
    expect(history.at(-1)!.trainLoss).toBeLessThan(history[0]!.trainLoss)
    head.dispose()
  })

  it('reports where the stage went: every phase once, summing to no more than its wall time', async () => {
    const data = separated(60, 8, 2)
    const head = buildHead(8, 2, { hidden: 8 })
    let phases: StagePhases | null = null
    const stage = stageSchema.parse({ epochs: 3, lr: 1e-2, batchSize: 8 })
    const started = performance.now()
    let callbackMs = 0
    await fitStage(
      { stageIndex: 0, stage, model: headTrainable(head), data, classes: ['a', 'b'], classWeights: null, seed: 1, onPhases: (p) => (phases = p) },
      [{ afterEpoch: () => { const t = performance.now(); while (performance.now() - t < 5); callbackMs += performance.now() - t } }]
    )
    const wall = performance.now() - started
    head.dispose()
    const p = phases as StagePhases | null
    expect(p).not.toBeNull()
    expect(p!.epochs).toBe(3)
    const parts = [p!.beginMs, p!.dataMs, p!.stepsMs, p!.validMs, p!.syncMs, p!.callbacksMs]
    for (const ms of parts) expect(ms).toBeGreaterThanOrEqual(0)
    expect(p!.stepsMs).toBeGreaterThan(0)
    expect(p!.callbacksMs).toBeGreaterThanOrEqual(callbackMs)
    expect(parts.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(wall)
    // the head's engine keeps its own split: counted over this stage only
    if (p!.engine) expect(p!.engine.steps).toBe(3 * batchBounds(data.trainSize, 8).length)
  })

  it('is reproducible: same seed, same weights and losses', async () => {
    const run = async () => {
      tf.util.assert(true, () => '')
      const head = buildHead(8, 2, { hidden: 8 })
      // identical initial weights: copy from a fixed source
      head.setWeights(head.getWeights().map((w, i) => tf.tidy(() => tf.fill(w.shape, 0.01 * ((i % 3) + 1)))))
      const history: EpochMetrics[] = []
      await fitStage(
        { stageIndex: 0, stage: stageSchema.parse({ epochs: 2, lr: 1e-2, batchSize: 8 }), model: headTrainable(head), data: separated(40, 8, 2), classes: ['a', 'b'], classWeights: null, seed: 3 },
        [{ afterEpoch: (m) => void history.push(m) }]
      )
      const out = { losses: history.map((h) => h.trainLoss), w: head.getWeights()[2]!.dataSync().slice(0, 5) }
      head.dispose()
      return out
    }
    const a = await run()
    const b = await run()
    expect(b.losses).toEqual(a.losses)
    expect(Array.from(b.w)).toEqual(Array.from(a.w))
  })

  it('moves each group by its own learning rate', () => {
    const w1 = tf.variable(tf.tensor2d([[0.5], [-0.5]]), true, 'g1/kernel')
    const w2 = tf.variable(tf.tensor2d([[0.2, -0.2]]), true, 'g2/kernel')
    const model: Trainable = {
      forward: (x) => tf.matMul(tf.matMul(x, w1), w2) as tf.Tensor2D,
      groups: [
        { name: 'early', vars: [w1] },
        { name: 'head', vars: [w2] }
      ]
    }
    const x = tf.tensor2d([[1, 2]])
    const labels = tf.tensor1d([0], 'int32')
    const grads = tf.variableGrads(() => weightedCrossEntropy(model.forward(x, true, 0), labels, null), [w1, w2]).grads
    const g1 = grads[w1.name]!.dataSync()
    const g2 = grads[w2.name]!.dataSync()
    const before1 = w1.dataSync().slice()
    const before2 = w2.dataSync().slice()
    const opts = [tf.train.momentum(1, 0.9), tf.train.momentum(1, 0.9)] // first momentum step = plain SGD
    trainStep(model, opts, [1e-3, 1e-1], 0, x, labels, null, 0)
    w1.dataSync().forEach((v, i) => expect((before1[i]! - v) / g1[i]!).toBeCloseTo(1e-3, 6))
    w2.dataSync().forEach((v, i) => expect((before2[i]! - v) / g2[i]!).toBeCloseTo(1e-1, 6))
    tf.dispose([w1, w2, x, labels, ...Object.values(grads)])
    for (const o of opts) o.dispose()
  })

  it('splits a batch into micro-batches without changing the step (class weights included)', () => {
    const make = () => {
      const w = tf.variable(tf.tensor2d([0.3, -0.2, 0.1, 0.5, -0.4, 0.2], [3, 2]), true)
      const model: Trainable = { forward: (x) => tf.matMul(x, w) as tf.Tensor2D, groups: [{ name: 'g', vars: [w] }] }
      return { w, model }
    }
    const x = tf.tensor2d(Array.from({ length: 7 * 3 }, (_, i) => Math.sin(i)), [7, 3])
    const labels = tf.tensor1d([0, 1, 1, 0, 1, 0, 0], 'int32')
    const cw = tf.tensor1d([1, 2.5])
    const whole = make()
    const split = make()
    const a = trainStep(whole.model, [tf.train.sgd(0.1)], [0.1], 0, x, labels, cw, 0)
    const b = trainStep(split.model, [tf.train.sgd(0.1)], [0.1], 0, x, labels, cw, 0, 3)
    expect(b).toBeCloseTo(a, 5)
    const wa = whole.w.dataSync()
    split.w.dataSync().forEach((v, i) => expect(v).toBeCloseTo(wa[i]!, 6))
    tf.dispose([whole.w, split.w, x, labels, cw])
  })

  it('never leaves a micro-batch of one image (batch norm over one image is degenerate): it joins the one before', () => {
    const w = tf.variable(tf.tensor2d([0.3, -0.2, 0.1, 0.5, -0.4, 0.2], [3, 2]), true)
    const sizes: number[] = []
    const model: Trainable = { forward: (x) => (sizes.push(x.shape[0]!), tf.matMul(x, w) as tf.Tensor2D), groups: [{ name: 'g', vars: [w] }] }
    const x = tf.tensor2d(Array.from({ length: 7 * 3 }, (_, i) => Math.cos(i)), [7, 3])
    const labels = tf.tensor1d([0, 1, 1, 0, 1, 0, 0], 'int32')
    trainStep(model, [tf.train.sgd(0.1)], [0.1], 0, x, labels, null, 0, 3)
    expect(sizes).toEqual([3, 4])
    sizes.length = 0
    trainStep(model, [tf.train.sgd(0.1)], [0.1], 0, x, labels, null, 0, 4)
    expect(sizes).toEqual([4, 3])
    tf.dispose([w, x, labels])
  })

  it('applies weight decay to kernels only', () => {
    const k = tf.variable(tf.tensor1d([1, 1]), true, 'd/kernel')
    const bias = tf.variable(tf.tensor1d([1, 1]), true, 'd/bias')
    const model: Trainable = {
      forward: (x) => tf.stack([tf.sum(tf.mul(tf.mul(x, k), 0)), tf.sum(tf.mul(bias, 0))]).reshape([1, 2]) as tf.Tensor2D,
      groups: [{ name: 'g', vars: [k, bias] }]
    }
    const x = tf.tensor1d([1, 1])
    const labels = tf.tensor1d([0], 'int32')
    trainStep(model, [tf.train.momentum(0.1, 0.9)], [0.1], 0.5, x, labels, null, 0)
    expect(Array.from(k.dataSync())).toEqual([0.95, 0.95].map((v) => Math.fround(v)))
    expect(Array.from(bias.dataSync())).toEqual([1, 1])
    tf.dispose([k, bias, x, labels])
  })

  it('weights the loss by class', () => {
    const logits = tf.tensor2d([
      [2, 0],
      [0, 2],
      [2, 0]
    ])
    const labels = tf.tensor1d([0, 0, 1], 'int32')
    const plain = weightedCrossEntropy(logits, labels, null).dataSync()[0]!
    const weighted = weightedCrossEntropy(logits, labels, tf.tensor1d([1, 3])).dataSync()[0]!
    const ce = (z: number[], y: number) => -Math.log(Math.exp(z[y]!) / (Math.exp(z[0]!) + Math.exp(z[1]!)))
    expect(plain).toBeCloseTo((ce([2, 0], 0) + ce([0, 2], 0) + ce([2, 0], 1)) / 3, 5)
    expect(weighted).toBeCloseTo((ce([2, 0], 0) + ce([0, 2], 0) + 3 * ce([2, 0], 1)) / 5, 5)
  })
})

describe('metrics and batching', () => {
  it('computes confusion, precision and recall', () => {
    const probs = Float32Array.from([0.9, 0.1, 0.2, 0.8, 0.6, 0.4, 0.3, 0.7])
    const m = validMetrics(probs, [0, 1, 1, 1], ['a', 'b'])
    expect(m.confusion).toEqual([
      [1, 0],
      [1, 2]
    ])
    expect(m.accuracy).toBe(0.75)
    expect(m.precision).toEqual([0.5, 1])
    expect(m.recall[1]).toBeCloseTo(2 / 3)
  })

  it('weights classes only when imbalanced', () => {
    expect(classWeightsFromCounts([100, 110])).toBeNull()
    expect(classWeightsFromCounts([100, 300])).toEqual([2, 2 / 3])
  })

  it('never makes a batch of one', () => {
    expect(batchBounds(10, 3)).toEqual([
      [0, 3],
      [3, 6],
      [6, 10]
    ])
    expect(batchBounds(1, 3)).toEqual([[0, 1]])
    expect(batchBounds(8, 4)).toEqual([
      [0, 4],
      [4, 8]
    ])
  })

  it('evaluates without leaking', async () => {
    const data = separated(20, 4)
    const head = buildHead(4, 2, { hidden: 4 })
    const before = tf.memory().numTensors
    const e = await evaluate(headTrainable(head), data, ['a', 'b'], 3)
    expect(e.probs.length).toBe(data.validLabels.length * 2)
    expect(tf.memory().numTensors).toBe(before)
    head.dispose()
  })
})
