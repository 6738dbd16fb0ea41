import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dropoutMask } from '../../../../../src/main/training/dropout'
import { HEAD_PARAMS, headStepGraph, OPTIMIZER_SLOTS, slotName } from '../../../../../src/main/training/engines/onnx/headStepGraph'
import { OptimizerState } from '../../../../../src/main/training/engines/onnx/optimizerState'
import { UpdateArena } from '../../../../../src/main/training/engines/onnx/wasmUpdate'
import { headLayers, OnnxHeadStep, releaseHeadSessions } from '../../../../../src/main/training/engines/onnx/headStep'
import { fitStage, type EpochMetrics } from '../../../../../src/main/training/fit'
import { applyHead, buildHead, headTrainable, trainableVars } from '../../../../../src/main/training/head'
import { makeOptimizer, setLearningRate } from '../../../../../src/main/training/optimizers'
import { weightedCrossEntropy, type Trainable } from '../../../../../src/main/training/step'
import { mulberry32 } from '../../../../../src/main/util/random'
import { maxRelDiff } from '../../../../helpers/numeric'
import { stageSchema } from '../../../../../src/shared/plan'
import { blobs } from '../../../../helpers/blobs'


function randoms(n: number, seed: number): Float32Array {
  const rand = mulberry32(seed)
  return Float32Array.from({ length: n }, () => rand() * 2 - 1)
}

/** A head with weights away from their initial values, so every gradient term is exercised. */
function perturbedHead(features: number, classes: number, hidden: number, seed: number): tf.LayersModel {
  const head = buildHead(features, classes, { hidden, seed })
  head.setWeights(head.getWeights().map((w, i) => tf.tidy(() => tf.add(w, tf.tensor(randoms(w.size, seed + i), w.shape).mul(0.3)))))
  // moving variance must stay positive
  head.layers.forEach((l) => {
    if (l.getClassName() === 'BatchNormalization') l.nonTrainableWeights[1]!.write(tf.tidy(() => tf.abs(l.nonTrainableWeights[1]!.read()).add(0.5)))
  })
  return head
}

beforeAll(async () => {
  await tf.setBackend('cpu') // the reference: TF.js's plain JavaScript kernels
})
afterAll(async () => {
  await releaseHeadSessions()
})

describe('the head step graph', () => {
  it('gives the gradients TF.js autodiff gives (class weights, dropout, both batch norms)', async () => {
    const [features, hidden, classes, n, seed] = [12, 6, 3, 9, 77]
    const head = perturbedHead(features, classes, hidden, 5)
    const x = tf.tensor2d(randoms(n * features, 1), [n, features])
    const labels = tf.tensor1d([0, 1, 2, 2, 1, 0, 0, 2, 1], 'int32')
    const classWeights = [0.5, 1.5, 2]
    const vars = trainableVars(head.layers)
    const reference = tf.variableGrads(() => weightedCrossEntropy(applyHead(head, x, true, seed), labels, tf.tensor1d(classWeights)), vars)

    const layers = headLayers(head)
    if (typeof layers === 'string') throw new Error(layers)
    const session = await ort.InferenceSession.create(headStepGraph(layers.dims))
    const total = [0, 1, 2, 2, 1, 0, 0, 2, 1].reduce((s, l) => s + classWeights[l]!, 0)
    const target = new Float32Array(n * classes)
    ;[0, 1, 2, 2, 1, 0, 0, 2, 1].forEach((l, i) => (target[i * classes + l] = classWeights[l]! / total))
    const mask = (rate: number, width: number, k: number) => dropoutMask(n, width, rate, seed + k)
    const feeds: Record<string, ort.Tensor> = {
      x: new ort.Tensor('float32', x.dataSync() as Float32Array, [n, features]),
      target: new ort.Tensor('float32', target, [n, classes]),
      mask1: new ort.Tensor('float32', mask(layers.rates[0], features, 0), [n, features]),
      mask2: new ort.Tensor('float32', mask(layers.rates[1], hidden, 1), [n, hidden])
    }
    HEAD_PARAMS.forEach((p, i) => (feeds[p] = new ort.Tensor('float32', vars[i]!.dataSync() as Float32Array, vars[i]!.shape)))
    const out = await session.run(feeds)
    await session.release()

    expect(layers.rates[0]).toBeGreaterThan(0) // dropout really is in the graph
    expect(maxRelDiff(out.loss!.data as Float32Array, reference.value.dataSync())).toBeLessThan(1e-5)
    HEAD_PARAMS.forEach((p, i) => {
      expect(maxRelDiff(out[`grad_${p}`]!.data as Float32Array, reference.grads[vars[i]!.name]!.dataSync()), p).toBeLessThan(1e-4)
    })
    tf.dispose([x, labels, reference.value, ...Object.values(reference.grads)])
    head.dispose()
  })

  it('refuses a head that is not the studio head, with the reason', () => {
    const input = tf.input({ shape: [4] })
    const other = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 2 }).apply(input) as tf.SymbolicTensor })
    expect(headLayers(other)).toMatch(/not the studio's \(layers Dense\)/)
    other.dispose()
  })
})

describe('the optimizer update inside the step graph', () => {
  for (const kind of ['adam', 'sgd'] as const) {
    it(`${kind}: the weights and state TF.js's optimizer gives from the graph's gradients, handed back and forth`, async () => {
      const [features, hidden, classes, n, lr, wd] = [10, 6, 3, 8, 0.05, 0.01]
      const head = perturbedHead(features, classes, hidden, 9)
      const layers = headLayers(head)
      if (typeof layers === 'string') throw new Error(layers)
      const gradients = await ort.InferenceSession.create(headStepGraph(layers.dims))
      const updating = await ort.InferenceSession.create(headStepGraph(layers.dims, kind))
      // the reference: gradients from the gradient graph (checked against autodiff above), applied by TF.js
      const vars = trainableVars(head.layers)
      const shapes = vars.map((v) => v.shape)
      const reference = vars.map((v, i) => tf.variable(v.clone(), true, `ref_${kind}_${i}`))
      const mine = vars.map((v, i) => tf.variable(v.clone(), true, `mine_${kind}_${i}`))
      const refOpt = makeOptimizer({ optimizer: kind }, lr)
      const tfOpt = makeOptimizer({ optimizer: kind }, lr)
      const arena = () => new UpdateArena(mine.flatMap((v) => OPTIMIZER_SLOTS[kind].map(() => v.size)))
      let state = new OptimizerState(kind, mine, arena())
      await state.load(tfOpt)
      let weights = mine.map((v) => v.dataSync().slice() as Float32Array)
      const labels = [0, 1, 2, 1, 0, 2, 2, 1]
      const target = new Float32Array(n * classes)
      labels.forEach((l, i) => (target[i * classes + l] = 1 / n))
      const t = (data: Float32Array, shape: number[]) => new ort.Tensor('float32', data, shape)
      for (let step = 0; step < 5; step++) {
        const batch = {
          x: t(randoms(n * features, 40 + step), [n, features]),
          target: t(target, [n, classes]),
          mask1: t(dropoutMask(n, features, layers.rates[0], step), [n, features]),
          mask2: t(dropoutMask(n, hidden, layers.rates[1], step + 50), [n, hidden])
        }
        const refFeeds: Record<string, ort.Tensor> = { ...batch }
        HEAD_PARAMS.forEach((p, i) => (refFeeds[p] = t(reference[i]!.dataSync() as Float32Array, shapes[i]!)))
        const g = await gradients.run(refFeeds)
        refOpt.applyGradients(Object.fromEntries(HEAD_PARAMS.map((p, i) => [reference[i]!.name, tf.tensor(g[`grad_${p}`]!.data as Float32Array, shapes[i]!)])))
        tf.tidy(() => HEAD_PARAMS.forEach((p, i) => /kernel/.test(p) && reference[i]!.assign(tf.mul(reference[i]!, 1 - lr * wd))))

        const feeds: Record<string, ort.Tensor> = { ...batch }
        HEAD_PARAMS.forEach((p, i) => {
          feeds[p] = t(weights[i]!, shapes[i]!)
          OPTIMIZER_SLOTS[kind].forEach((slot, k) => (feeds[slotName(slot, p)] = t(state.slots[k]![i]!, shapes[i]!)))
        })
        for (const [name, value] of Object.entries(state.next(lr, wd))) feeds[name] = t(Float32Array.of(value), [])
        const out = await updating.run(feeds)
        weights = HEAD_PARAMS.map((p) => out[`new_${p}`]!.data as Float32Array)
        HEAD_PARAMS.forEach((p, i) => OPTIMIZER_SLOTS[kind].forEach((slot, k) => state.slots[k]![i]!.set(out[`new_${slotName(slot, p)}`]!.data as Float32Array)))
        expect(maxRelDiff(out.loss!.data as Float32Array, g.loss!.data as Float32Array)).toBeLessThan(1e-4)
        if (step === 2) {
          // a checkpoint in the middle: the state goes to TF.js and comes back
          await state.store(tfOpt)
          state = new OptimizerState(kind, mine, arena())
          await state.load(tfOpt)
        }
      }
      HEAD_PARAMS.forEach((p, i) => expect(maxRelDiff(weights[i]!, reference[i]!.dataSync()), p).toBeLessThan(1e-4))
      await state.store(tfOpt)
      const [a, b] = [await refOpt.getWeights(), await tfOpt.getWeights()]
      expect(b.map((w) => w.name.replace(`mine_${kind}`, `ref_${kind}`))).toEqual(a.map((w) => w.name))
      expect(b[0]!.tensor.dataSync()[0]).toBe(5)
      for (let i = 1; i < a.length; i++) expect(maxRelDiff(b[i]!.tensor.dataSync(), a[i]!.tensor.dataSync())).toBeLessThan(1e-4)
      tf.dispose([a[0]!.tensor, b[0]!.tensor, ...reference, ...mine])
      refOpt.dispose()
      tfOpt.dispose()
      head.dispose()
      await Promise.all([gradients.release(), updating.release()])
    })
  }
})

describe('the update arena (WebAssembly SIMD AdamW, momentum SGD)', () => {
  for (const kind of ['adam', 'sgd'] as const) {
    it(`${kind}: the same updates as TF.js's optimizer, a length that is not a multiple of 4 included`, async () => {
      const shapes = [[7, 5], [6], [3]] // 35, 6, 3 elements: the SIMD pass and its scalar tail
      const reference = shapes.map((s, i) => tf.variable(tf.tensor(randoms(s.reduce((a, b) => a * b, 1), 20 + i), s), true, `aref_${kind}_${i}`))
      const mine = shapes.map((s, i) => tf.variable(reference[i]!.clone(), true, `amine_${kind}_${i}`))
      const arena = new UpdateArena(mine.flatMap((v) => Array<number>(2 + OPTIMIZER_SLOTS[kind].length).fill(v.size)))
      const refOpt = makeOptimizer({ optimizer: kind }, 0.05)
      const tfOpt = makeOptimizer({ optimizer: kind }, 0.05)
      const state = new OptimizerState(kind, mine, arena)
      await state.load(tfOpt)
      const params = mine.map((v, i) => {
        const value = arena.array(v.size)
        value.set(v.dataSync() as Float32Array)
        return { value, grad: arena.array(v.size), decays: i === 0 }
      })
      for (let step = 0; step < 6; step++) {
        const lr = 0.05 * (1 - step / 10) // a schedule: a new rate every step
        const grads = params.map((p, i) => randoms(p.value.length, 100 + 10 * step + i))
        setLearningRate(refOpt, lr)
        refOpt.applyGradients(Object.fromEntries(reference.map((v, i) => [v.name, tf.tensor(grads[i]!, v.shape)])))
        tf.tidy(() => reference[0]!.assign(tf.mul(reference[0]!, 1 - lr * 0.01)))
        params.forEach((p, i) => p.grad.set(grads[i]!))
        state.step(params, lr, 0.01)
      }
      params.forEach((p, i) => expect(maxRelDiff(p.value, reference[i]!.dataSync()), `weight ${i}`).toBeLessThan(1e-5))
      await state.store(tfOpt)
      const [a, b] = [await refOpt.getWeights(), await tfOpt.getWeights()]
      expect(b[0]!.tensor.dataSync()[0]).toBe(6)
      for (let i = 1; i < a.length; i++) expect(maxRelDiff(b[i]!.tensor.dataSync(), a[i]!.tensor.dataSync())).toBeLessThan(1e-5)
      tf.dispose([a[0]!.tensor, b[0]!.tensor, ...reference, ...mine])
      refOpt.dispose()
      tfOpt.dispose()
    })
  }
})


describe('a head-only stage on ONNX Runtime', () => {
  for (const optimizer of ['adam', 'sgd'] as const) {
    it(`${optimizer}: follows the TF.js path epoch by epoch, hands its weights back, leaks no tensors`, async () => {
      await tf.setBackend('wasm') // what the engine workers run
      const data = blobs({ n: 240, dim: 24, classes: 3 })
      const stage = stageSchema.parse({ epochs: 5, lr: optimizer === 'adam' ? 1e-2 : 5e-2, batchSize: 32, weightDecay: 0.01, optimizer })
      const run = async (native: boolean) => {
        const head = buildHead(24, 3, { hidden: 16, seed: 3 })
        const base = headTrainable(head)
        const model: Trainable = native ? base : { forward: base.forward, groups: base.groups }
        const history: EpochMetrics[] = []
        let runtime = ''
        await fitStage(
          { stageIndex: 0, stage, model, data, classes: ['a', 'b', 'c'], classWeights: [1, 1.2, 0.8], seed: 11, onRuntime: (r) => (runtime = r) },
          [{ afterEpoch: (m) => void history.push(m) }]
        )
        const weights = head.getWeights().map((w) => w.dataSync().slice())
        head.dispose()
        return { history, weights, runtime }
      }
      const before = tf.memory().numTensors
      const viaTf = await run(false)
      const viaOrt = await run(true)
      expect(tf.memory().numTensors).toBe(before)
      expect(viaTf.runtime).toMatch(/^tfjs wasm \(no native engine/)
      expect(viaOrt.runtime).toMatch(/^onnxruntime-node \(cpu, \d+ threads\)$/)
      expect(viaOrt.history.at(-1)!.trainLoss).toBeLessThan(viaOrt.history[0]!.trainLoss)
      for (const [i, e] of viaOrt.history.entries()) {
        expect(Math.abs(e.trainLoss - viaTf.history[i]!.trainLoss)).toBeLessThan(1e-3)
        expect(Math.abs(e.validLoss - viaTf.history[i]!.validLoss)).toBeLessThan(1e-3)
      }
      // every weight, the batch norms' running statistics included, came back into TF.js
      viaOrt.weights.forEach((w, i) => expect(maxRelDiff(w, viaTf.weights[i]!)).toBeLessThan(1e-3))
      await tf.setBackend('cpu')
    })
  }

  it('THAW_TRAIN_RUNTIME=tfjs keeps the steps on TF.js and says why', async () => {
    const head = buildHead(8, 2, { hidden: 4 })
    const adam = makeOptimizer({ optimizer: 'adam' }, 0.1)
    process.env.THAW_TRAIN_RUNTIME = 'tfjs'
    try {
      expect(await new OnnxHeadStep(head).begin(stageSchema.parse({ lr: 0.1, epochs: 1 }), [adam])).toBe('THAW_TRAIN_RUNTIME=tfjs')
    } finally {
      delete process.env.THAW_TRAIN_RUNTIME
    }
    adam.dispose()
    head.dispose()
  })
})
