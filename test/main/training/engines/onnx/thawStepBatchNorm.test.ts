// The thawing step on a segment with batch-norm layers of its own (MobileNetV1's, from
// ../shared/backbones; MobileNetV2's are folded into its convolutions): their running statistics
// follow tfjs-layers' momentum rule from the graph's batch statistics, go back into TF.js, and
// validation on the engine (a network converted with them as constants) sees them after every epoch.
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { buildSegment, loadBackbone, type LoadedBackbone } from '../../../../../src/main/backbones'
import { registerWasmTrainingKernels } from '../../../../../src/main/engine/kernels'
import { ActivationData } from '../../../../../src/main/training/data/activationData'
import { liveThawSessions, OnnxThawStep, releaseSegmentSessions, releaseThawSessions } from '../../../../../src/main/training/engines/onnx/thawStep'
import { fitStage, type EpochMetrics } from '../../../../../src/main/training/fit'
import { groupMembers, isBatchNorm } from '../../../../../src/main/training/groups'
import { buildHead } from '../../../../../src/main/training/head'
import type { Trainable } from '../../../../../src/main/training/step'
import { thawedTrainable } from '../../../../../src/main/training/trainable'
import { stageSchema } from '../../../../../src/shared/plan'
import { maxRelDiff } from '../../../../helpers/numeric'
import { activationsAt, photos } from '../../../../helpers/cutActivations'
import { BACKBONE_MIRROR, tempDir } from '../../../../helpers/tmp'

let bb: LoadedBackbone

beforeAll(async () => {
  await tf.setBackend('wasm')
  registerWasmTrainingKernels()
  bb = await loadBackbone('mobilenet_v1_0.75_224', { cacheDir: tempDir('thaw-cache-'), mirror: BACKBONE_MIRROR })
}, 120_000)
afterAll(async () => {
  await releaseThawSessions()
  bb?.model.dispose()
})

it("trains MobileNetV1's last group with its batch norms as TF.js does, running statistics and validation included", async () => {
  const members = groupMembers(bb.model, bb.spec)
  const first = members.length - 1
  const cut = bb.spec.groups[first - 1]!.lastLayer
  const segment = buildSegment(bb.model, cut, bb.spec.featureLayer)
  const head = buildHead(2 * bb.spec.featureShape[2], 2, { hidden: 32, seed: 2 })
  const groups = [{ name: bb.spec.groups[first]!.name, layers: members[first]!.map((n) => bb.model.getLayer(n)) }]
  const model = thawedTrainable(segment, head, groups)
  const shape = segment.inputs[0]!.shape.slice(1) as number[]
  const { x, labels } = await photos(bb, 32)
  const rows = activationsAt(bb, cut, x)
  x.dispose()
  const data = new ActivationData(shape, rows, labels.slice(0, 24).map((label, i) => ({ label, rows: [i] })), labels.slice(24).map((label, i) => ({ label, row: 24 + i })))
  const norms = segment.layers.filter(isBatchNorm)
  expect(norms.length).toBeGreaterThan(0)
  const every = [...segment.weights, ...head.weights].map((w) => w.read() as tf.Variable)
  const start = every.map((v) => v.dataSync().slice())
  const running = (): Float32Array[] => norms.flatMap((l) => l.nonTrainableWeights.map((w) => w.read().dataSync().slice() as Float32Array))
  const stage = stageSchema.parse({ freezeTo: -2, epochs: 2, lr: [1e-4, 1e-3], batchSize: 8 })
  const run = async (m: Trainable) => {
    const history: EpochMetrics[] = []
    let runtime = ''
    await fitStage({ stageIndex: 1, stage, model: m, data, classes: ['a', 'b'], classWeights: null, seed: 4, onRuntime: (r) => (runtime = r) }, [{ afterEpoch: (e) => void history.push(e) }])
    return { history, runtime, running: running() }
  }
  // both paths run whole batches here (no micro-batches: TF.js's and the engine's own exceed 8),
  // so the batch norms see the same statistics on both
  expect(Math.min(model.microBatch!, (model.fast as OnnxThawStep).microBatch)).toBeGreaterThanOrEqual(stage.batchSize)
  const before = tf.memory().numTensors
  const initial = running()
  const viaTf = await run({ forward: model.forward, groups: model.groups, microBatch: model.microBatch })
  tf.tidy(() => every.forEach((v, i) => v.assign(tf.tensor(start[i]!, v.shape))))
  const viaOrt = await run(model)
  expect(viaOrt.runtime).toMatch(/^onnxruntime-node/)
  for (const [i, e] of viaOrt.history.entries()) {
    // validation ran on the engine (its network converted with the epoch's running statistics)
    expect(Math.abs(e.validLoss / viaTf.history[i]!.validLoss - 1), `epoch ${i + 1} valid loss`).toBeLessThan(0.05)
    expect(Math.abs(e.trainLoss / viaTf.history[i]!.trainLoss - 1), `epoch ${i + 1} train loss`).toBeLessThan(0.05)
  }
  viaOrt.running.forEach((r, i) => {
    expect(maxRelDiff(r, initial[i]!), `running statistic ${i} moved`).toBeGreaterThan(1e-6)
    expect(maxRelDiff(r, viaTf.running[i]!), `running statistic ${i}`).toBeLessThan(1e-3)
  })
  // one inference session per validation (each after an epoch's steps), each released by the
  // next and the last by the stage's end (FastStep.end)
  const fast = model.fast as OnnxThawStep
  expect(fast.sessions.inferenceBuilt).toBe(stage.epochs)
  expect(fast.sessions.inferenceReleased).toBe(stage.epochs)
  // after the stage: the engine's validation logits are TF.js's from the weights handed back
  const probe = tf.tensor(rows.subarray(0, 4 * rows.length / 32), [4, ...shape])
  const logits = await fast.predict(probe)
  expect(maxRelDiff(logits, tf.tidy(() => model.forward(probe, false, 0).dataSync() as Float32Array))).toBeLessThan(1e-4)
  probe.dispose()
  await fast.release()
  // the run's network frees the segment's training session with the segment
  const alive = liveThawSessions()
  expect(alive).toBeGreaterThan(0)
  await releaseSegmentSessions(segment)
  expect(liveThawSessions()).toBe(alive - 1)
  expect(tf.memory().numTensors).toBe(before)
  tf.tidy(() => every.forEach((v, i) => v.assign(tf.tensor(start[i]!, v.shape))))
  head.dispose()
  segment.dispose()
}, 240_000)
