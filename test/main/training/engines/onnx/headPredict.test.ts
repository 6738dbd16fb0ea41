// Validation on the head engine's own weights (OnnxHeadStep.predict) and the hand-back to TF.js
// only when a callback reads the weights: the evaluation equals TF.js's on the same weights, and
// best weights and checkpoints taken in the middle of a stage hold the weights the engine had.
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../../../../src/main/store/db'
import { BestWeights } from '../../../../../src/main/training/callbacks/bestWeights'
import type { Callback } from '../../../../../src/main/training/callbacks/callback'
import { Checkpoint } from '../../../../../src/main/training/callbacks/checkpoint'
import { Recorder } from '../../../../../src/main/training/callbacks/recorder'
import { loadCheckpointWeights } from '../../../../../src/main/training/checkpoint'
import { ActivationData } from '../../../../../src/main/training/data/activationData'
import { OnnxHeadStep, releaseHeadSessions } from '../../../../../src/main/training/engines/onnx/headStep'
import { evaluate, fitStage, type Evaluation } from '../../../../../src/main/training/fit'
import { applyHead, buildHead, headTrainable } from '../../../../../src/main/training/head'
import { optimizerState } from '../../../../../src/main/training/optimizers'
import type { TrainArgs } from '../../../../../src/main/training/runPlan'
import { stageSchema, type Stage } from '../../../../../src/shared/plan'
import type { EpochMetrics } from '../../../../../src/shared/types'
import { maxRelDiff } from '../../../../helpers/numeric'
import { tempDir } from '../../../../helpers/tmp'
import { blobs } from '../../../../helpers/blobs'

beforeAll(async () => {
  await tf.setBackend('wasm') // what the engine workers run
})
afterAll(() => releaseHeadSessions())

/** Three overlapping gaussian blobs: the validation loss goes down and up again, so best weights
 * keep some epochs and skip others. */
const overlapping = (n: number, dim: number, seed = 4) => blobs({ n, dim, classes: 3, views: 2, seed, on: 0.6, off: -0.3, noise: { gauss: 1.5 } })

const CLASSES = ['a', 'b', 'c']
const copy = (ts: tf.Tensor[]): Float32Array[] => ts.map((t) => t.dataSync().slice() as Float32Array)

describe('OnnxHeadStep.predict', () => {
  it("gives TF.js's inference logits for the same weights (batch norm on running statistics, no dropout)", async () => {
    const [features, n] = [20, 13]
    const head = buildHead(features, 3, { hidden: 12, seed: 2 })
    const model = headTrainable(head)
    const data = overlapping(80, features)
    const stage = stageSchema.parse({ epochs: 1, lr: 1e-2, batchSize: 16 })
    // weights and running statistics away from their initial values: train one epoch on the engine
    await fitStage({ stageIndex: 0, stage, model, data, classes: CLASSES, classWeights: null, seed: 1 })
    const fast = model.fast as OnnxHeadStep
    const adam = tf.train.adam(1e-3)
    expect(await fast.begin(stage, [adam])).toBeNull() // the engine takes the trained weights
    const x = tf.tensor2d(Float32Array.from({ length: n * features }, (_, i) => Math.sin(i) * 2), [n, features])
    const reference = tf.tidy(() => applyHead(head, x, false, 0)).dataSync()
    const logits = await fast.predict(x)
    expect(logits).toHaveLength(n * 3)
    expect(maxRelDiff(logits, reference)).toBeLessThan(1e-5)
    x.dispose()
    adam.dispose()
    head.dispose()
  })
})

/** An epoch's view of a stage: the engine's evaluation, and TF.js's on the weights handed back. */
function checker(model: ReturnType<typeof headTrainable>, data: ActivationData, stage: Stage, seen: { tfjs: Evaluation; engine: Evaluation }[]): Callback {
  return {
    readsWeights: () => true,
    afterEpoch: async (_m, engine) => void seen.push({ engine, tfjs: await evaluate(model, data, CLASSES, Math.max(stage.batchSize, 64)) })
  }
}

describe('a head stage on ONNX Runtime, validated on the engine', () => {
  it('scores every epoch as TF.js does on the weights the engine had (probabilities within 1e-5)', async () => {
    const data = overlapping(200, 24)
    const stage = stageSchema.parse({ epochs: 4, lr: 1e-2, batchSize: 32, weightDecay: 0.01 })
    const head = buildHead(24, 3, { hidden: 16, seed: 3 })
    const model = headTrainable(head)
    const seen: { tfjs: Evaluation; engine: Evaluation }[] = []
    const before = tf.memory().numTensors
    await fitStage({ stageIndex: 0, stage, model, data, classes: CLASSES, classWeights: [1, 1.3, 0.8], seed: 11 }, [checker(model, data, stage, seen)])
    expect(tf.memory().numTensors).toBe(before)
    expect(seen).toHaveLength(4)
    const fast = model.fast as OnnxHeadStep
    expect(fast.timings.predictMs).toBeGreaterThan(0) // the engine scored them, not TF.js
    for (const { tfjs, engine } of seen) {
      expect(Math.max(...engine.probs.map((p, i) => Math.abs(p - tfjs.probs[i]!)))).toBeLessThan(1e-5)
      expect(Math.abs(engine.loss - tfjs.loss)).toBeLessThan(1e-5)
      expect(engine.accuracy).toBe(tfjs.accuracy)
      expect(engine.confusion).toEqual(tfjs.confusion)
    }
    head.dispose()
  })

  it('hands the weights back only when a callback reads them; best weights and checkpoints hold the engine weights of their epoch', async () => {
    const data = overlapping(240, 24, 9)
    const stage = stageSchema.parse({ epochs: 6, lr: 3e-2, batchSize: 32, weightDecay: 0.01 })
    const fit = (model: ReturnType<typeof headTrainable>, callbacks: Callback[]) =>
      fitStage({ stageIndex: 0, stage, model, data, classes: CLASSES, classWeights: null, seed: 21 }, callbacks)

    // the reference: the same stage handing everything back after every epoch
    const refHead = buildHead(24, 3, { hidden: 16, seed: 8 })
    const ref = headTrainable(refHead)
    const perEpoch: { weights: Float32Array[]; optimizer: Float32Array[]; metrics: EpochMetrics }[] = []
    await fit(ref, [
      {
        readsWeights: () => true,
        afterEpoch: async (metrics, _e, s) => {
          const o = await optimizerState(s.optimizers[0]!)
          perEpoch.push({ weights: copy(refHead.getWeights()), optimizer: copy(o.slots.map((t) => t.tensor)), metrics })
          o.dispose()
        }
      }
    ])
    const finalRef = copy(refHead.getWeights())
    refHead.dispose()

    // best weights, and a checkpoint at the third epoch only
    const head = buildHead(24, 3, { hidden: 16, seed: 8 })
    const model = headTrainable(head)
    const db = openDatabase(path.join(tempDir(), 'p.sqlite'), { create: true })
    const recorder = new Recorder({ runId: 'mid', args: {} as TrainArgs, stageIndex: 0, epochsDone: 0, stages: [], history: [], batchesDone: 0 })
    const checkpoint = new Checkpoint(db, recorder, () => ({ head: head.getWeights(), backbone: [] }))
    const atThird: Callback = {
      readsWeights: (m, s) => m.epoch === 3 && checkpoint.readsWeights(m, s),
      afterEpoch: (m, e, s) => (m.epoch === 3 ? checkpoint.afterEpoch(m, e, s) : undefined)
    }
    const best = new BestWeights(() => head.getWeights())
    const history = await fit(model, [recorder, best, atThird])
    const fast = model.fast as OnnxHeadStep

    expect(history.map((h) => h.validLoss)).toEqual(perEpoch.map((p) => p.metrics.validLoss))
    // the epochs that improved on the best, the third and the stage's end: fewer than every epoch
    const improved = perEpoch.filter((p, i) => perEpoch.slice(0, i).every((q) => p.metrics.validLoss < q.metrics.validLoss)).map((p) => p.metrics.epoch)
    expect(improved.length).toBeLessThan(6) // the data makes some epochs worse than an earlier one
    const handedBack = new Set([...improved, 3])
    expect(fast.timings.syncs).toBe(handedBack.size + (handedBack.has(6) ? 0 : 1))

    // the checkpoint holds the third epoch's weights and optimizer state, bit for bit
    const saved = loadCheckpointWeights(db, 'mid')
    saved.head.forEach((w, i) => expect(w.dataSync(), `head weight ${i}`).toEqual(perEpoch[2]!.weights[i]))
    saved.optimizers[0]!.forEach((slot, i) => expect(slot.tensor.dataSync(), `optimizer slot ${i}`).toEqual(perEpoch[2]!.optimizer[i]))
    tf.dispose([...saved.head, ...saved.optimizers.flat().map((s) => s.tensor)])

    // best weights hold the best epoch's, though later epochs trained on
    const bestEpoch = improved.at(-1)!
    const restored: Float32Array[] = []
    best.restore((ws) => restored.push(...copy(ws)))
    restored.forEach((w, i) => expect(w, `best weight ${i}`).toEqual(perEpoch[bestEpoch - 1]!.weights[i]))
    // and TF.js has the last epoch's at the stage's end
    copy(head.getWeights()).forEach((w, i) => expect(w, `final weight ${i}`).toEqual(finalRef[i]))
    best.dispose()
    db.close()
    head.dispose()
  })
})
