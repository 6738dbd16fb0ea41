/**
 * Where a head step's time goes, and a head epoch on each runtime, side by side in one process:
 *  - TF.js wasm (the reference path): ms per step and its kernels' share (tf.profile);
 *  - ONNX Runtime (engines/onnx/headStep.ts): ms per step split into building the inputs (the
 *    batch out of TF.js, dropout masks drawn by TF.js), the native graph (forward, backward and
 *    the optimizer's update), the running statistics, and the hand-back to TF.js once per epoch;
 *  - one epoch over 245 cached feature vectors of 2560 values (hymenoptera's train split through
 *    MobileNetV2's concat pool), batch 32, AdamW, in ms per image (and batch 64 on ONNX Runtime);
 *  - a step thawing MobileNetV2's last group from its cached boundary (7x7x160), batch 16, on
 *    TF.js wasm: its kernels' share, and what runs outside kernels (JavaScript gradients, copies).
 * Synthetic inputs: the time does not depend on their values.
 *
 *   node --import tsx bench/cases/headStep.ts
 */
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import os from 'node:os'
import path from 'node:path'
import { buildSegment, loadBackbone } from '../../src/main/backbones'
import { registerWasmTrainingKernels } from '../../src/main/engine/kernels'
import { boundaryLayer, groupMembers } from '../../src/main/training/groups'
import { thawedTrainable } from '../../src/main/training/trainable'
import { BACKBONES } from './fixtures'
import { ActivationData } from '../../src/main/training/data/activationData'
import { OnnxHeadStep, releaseHeadSessions, trainingThreads } from '../../src/main/training/engines/onnx/headStep'
import { fitStage } from '../../src/main/training/fit'
import { buildHead, headTrainable } from '../../src/main/training/head'
import { makeOptimizer } from '../../src/main/training/optimizers'
import { trainStep, type Trainable } from '../../src/main/training/step'
import { mulberry32 } from '../../src/main/util/random'
import { stageSchema } from '../../src/shared/plan'

const FEATURES = 2560
const TRAIN = 245
const BATCH = 32
const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

function features(n: number, seed: number): ActivationData {
  const rand = mulberry32(seed)
  const rows = Float32Array.from({ length: n * FEATURES }, () => rand() * 2)
  const train = Array.from({ length: n }, (_, i) => ({ label: i % 2, rows: [i] }))
  return new ActivationData([FEATURES], rows, train, train.slice(0, 64).map((t) => ({ label: t.label, row: t.rows[0]! })))
}

/** Kernel shares of one profiled call, and the share of its wall time spent outside kernels. */
async function profiled(body: () => void): Promise<{ msPerStep: number; outsideKernels: string; kernelShare: Record<string, string> }> {
  const started = performance.now()
  const profile = await tf.profile(body)
  const wall = performance.now() - started
  const kernels: Record<string, number> = {}
  for (const k of profile.kernels) kernels[k.name] = (kernels[k.name] ?? 0) + (k.kernelTimeMs as number)
  const total = Object.values(kernels).reduce((a, b) => a + b, 0)
  const kernelShare = Object.fromEntries(
    Object.entries(kernels)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([k, ms]) => [k, `${Math.round((ms / wall) * 100)}%`])
  )
  return { msPerStep: round(wall), outsideKernels: `${Math.round(Math.max(0, 1 - total / wall) * 100)}%`, kernelShare }
}

/** One step thawing MobileNetV2's last group (and the head) from the cache at its boundary. */
async function thawedStep(): Promise<Record<string, unknown>> {
  process.env.THAW_MODEL_MIRROR ??= BACKBONES
  const bb = await loadBackbone('mobilenet_v2_1.0_224', { cacheDir: path.join(os.tmpdir(), 'thaw-bench-steps-cache') })
  const spec = bb.spec
  const first = spec.groups.length - 1
  const boundary = boundaryLayer(spec, first)!
  const segment = buildSegment(bb.model, boundary, spec.featureLayer)
  const head = buildHead(2 * (segment.outputs[0]!.shape[3] as number), 2, { seed: 1 })
  const layers = groupMembers(bb.model, spec)[first]!.map((n) => bb.model.getLayer(n))
  const model = thawedTrainable(segment, head, [{ name: spec.groups[first]!.name, layers }])
  const opts = model.groups.map(() => makeOptimizer({ optimizer: 'adam' }, 1e-4))
  const shape = segment.inputs[0]!.shape.slice(1) as number[]
  const x = tf.randomNormal([16, ...shape])
  const labels = tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 2), 'int32')
  const step = (seed: number) => trainStep(model, opts, opts.map(() => 1e-4), 0.01, x, labels, null, seed, model.microBatch)
  for (let i = 0; i < 2; i++) step(i)
  const times: number[] = []
  for (let i = 0; i < 4; i++) {
    const t = performance.now()
    step(10 + i)
    times.push(performance.now() - t)
  }
  const profile = await profiled(() => void step(99))
  tf.dispose([x, labels])
  for (const o of opts) o.dispose()
  head.dispose()
  segment.dispose()
  bb.model.dispose()
  return { boundary, batch: 16, ...profile, msPerStep: round(median(times)), msPerImage: round(median(times) / 16) }
}

async function tfjsStep(): Promise<Record<string, unknown>> {
  const head = buildHead(FEATURES, 2, { seed: 1 })
  const model = headTrainable(head)
  const opt = makeOptimizer({ optimizer: 'adam' }, 1e-3)
  const rand = mulberry32(2)
  const x = tf.tensor2d(Float32Array.from({ length: BATCH * FEATURES }, () => rand()), [BATCH, FEATURES])
  const labels = tf.tensor1d(Array.from({ length: BATCH }, (_, i) => i % 2), 'int32')
  const step = (seed: number) => trainStep(model, [opt], [1e-3], 0.01, x, labels, null, seed)
  for (let i = 0; i < 3; i++) step(i)
  const times: number[] = []
  for (let i = 0; i < 10; i++) {
    const t = performance.now()
    step(10 + i)
    times.push(performance.now() - t)
  }
  const profile = await profiled(() => void step(99))
  tf.dispose([x, labels])
  opt.dispose()
  head.dispose()
  return { ...profile, msPerStep: round(median(times)) }
}

async function epoch(native: boolean, batchSize = BATCH): Promise<{ msPerImage: number; timings?: Record<string, number>; runtime: string }> {
  const data = features(TRAIN, 3)
  const head = buildHead(FEATURES, 2, { seed: 1 })
  const base = headTrainable(head)
  const model: Trainable = native ? base : { forward: base.forward, groups: base.groups }
  const stage = stageSchema.parse({ epochs: 6, lr: 3e-3, batchSize, weightDecay: 0.01 })
  let runtime = ''
  const trainMs: number[] = []
  await fitStage({ stageIndex: 0, stage, model, data, classes: ['a', 'b'], classWeights: null, seed: 5, onRuntime: (r) => (runtime = r) }, [
    { afterEpoch: (m) => void trainMs.push(m.trainMs ?? m.ms) }
  ])
  const step = base.fast as OnnxHeadStep
  const t = step.timings
  head.dispose()
  return {
    runtime,
    msPerImage: round(median(trainMs.slice(1)) / TRAIN, 3),
    ...(native && t.steps
      ? {
          timings: {
            stepMs: round((t.inputsMs + t.runMs + t.statsMs) / t.steps),
            inputsMs: round(t.inputsMs / t.steps),
            // forward, backward and the optimizer's update, all in the one graph
            graphMs: round(t.runMs / t.steps),
            runningStatsMs: round(t.statsMs / t.steps),
            syncMsPerEpoch: round(t.syncMs / 6)
          }
        }
      : {})
  }
}

export async function run(): Promise<Record<string, unknown>> {
  registerWasmTrainingKernels()
  await tf.setBackend('wasm')
  const before = tf.memory().numTensors
  const tfjs = await tfjsStep()
  const thawed = await thawedStep()
  const [tfjsEpoch, ortEpoch] = [await epoch(false), await epoch(true)]
  // the per-step costs (weights in, update) shared by more images: what a plan's batchSize buys
  const ortBatch64 = await epoch(true, 64)
  await releaseHeadSessions()
  return {
    threads: trainingThreads(),
    tfjsWasmStep: tfjs,
    headEpochMsPerImage: { tfjsWasm: tfjsEpoch.msPerImage, onnxRuntime: ortEpoch.msPerImage, speedup: round(tfjsEpoch.msPerImage / ortEpoch.msPerImage, 1) },
    onnxRuntimeStep: ortEpoch.timings,
    onnxRuntimeBatch64: { msPerImage: ortBatch64.msPerImage, step: ortBatch64.timings },
    thawedLastGroupStep: thawed,
    runtimes: [tfjsEpoch.runtime, ortEpoch.runtime],
    tensorsLeaked: tf.memory().numTensors - before
  }
}

if (process.argv[1]?.endsWith('headStep.ts')) {
  void run().then((r) => console.log(JSON.stringify(r, null, 2)))
}
