/**
 * Where a head step's time goes, and a head epoch on each runtime, side by side in one process:
 *  - TF.js wasm (the reference path): ms per step and its kernels' share (tf.profile);
 *  - ONNX Runtime (engines/onnx/headStep.ts): ms per step split into building the inputs (the
 *    batch out of TF.js, the loss targets, the dropout masks drawn in the update arena, the
 *    feeds), the native graph (forward + backward), the update (AdamW as one WebAssembly SIMD
 *    pass, then the running statistics), the fit loop's own share per batch (loopMs: the batch
 *    gathered into a TF.js tensor, the loop, callbacks), validation on the engine (its inference
 *    graph), and the hand-back to TF.js (only when something reads the weights there);
 *  - where the update runs, interleaved in one process: the gradient graph + the SIMD pass, the
 *    same + the plain JavaScript pass it replaced, and the update written into the graph as ONNX
 *    elementwise ops (headStepGraph's optimizer option);
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
import * as ort from 'onnxruntime-node'
import { OnnxHeadStep, releaseHeadSessions, trainingThreads } from '../../src/main/training/engines/onnx/headStep'
import { HEAD_PARAMS, headStepGraph, paramShape, updateStepIo } from '../../src/main/training/engines/onnx/headStepGraph'
import { UpdateArena } from '../../src/main/training/engines/onnx/wasmUpdate'
import { fitStage } from '../../src/main/training/fit'
import fs from 'node:fs'
import { openDatabase } from '../../src/main/store/db'
import { BestWeights } from '../../src/main/training/callbacks/bestWeights'
import type { Callback } from '../../src/main/training/callbacks/callback'
import { Checkpoint } from '../../src/main/training/callbacks/checkpoint'
import { Recorder } from '../../src/main/training/callbacks/recorder'
import type { TrainArgs } from '../../src/main/training/runPlan'
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

async function epoch(native: boolean, batchSize = BATCH): Promise<{ msPerImage: number; withValidationMsPerImage: number; timings?: Record<string, number>; runtime: string }> {
  const data = features(TRAIN, 3)
  const head = buildHead(FEATURES, 2, { seed: 1 })
  const base = headTrainable(head)
  const model: Trainable = native ? base : { forward: base.forward, groups: base.groups }
  const stage = stageSchema.parse({ epochs: 6, lr: 3e-3, batchSize, weightDecay: 0.01 })
  let runtime = ''
  const trainMs: number[] = []
  const epochMs: number[] = []
  await fitStage({ stageIndex: 0, stage, model, data, classes: ['a', 'b'], classWeights: null, seed: 5, onRuntime: (r) => (runtime = r) }, [
    {
      afterEpoch: (m) => {
        trainMs.push(m.trainMs ?? m.ms)
        epochMs.push(m.ms)
      }
    }
  ])
  const step = base.fast as OnnxHeadStep
  const t = step.timings
  // the fit loop's own share of an epoch: the batch gathered and made a TF.js tensor
  // (ActivationData), the loop, the callbacks: epoch time less the engine's steps
  const loopMs = native && t.steps ? (trainMs.reduce((a, b) => a + b, 0) - (t.inputsMs + t.runMs + t.updateMs)) / t.steps : 0
  head.dispose()
  return {
    runtime,
    msPerImage: round(median(trainMs.slice(1)) / TRAIN, 3),
    // the epoch with its validation (64 items: on the engine's own weights when it predicts)
    withValidationMsPerImage: round(median(epochMs.slice(1)) / TRAIN, 3),
    ...(native && t.steps
      ? {
          timings: {
            stepMs: round((t.inputsMs + t.runMs + t.updateMs) / t.steps),
            inputsMs: round(t.inputsMs / t.steps),
            // the inputs: the batch out of TF.js, the loss targets, the dropout masks (drawn in the
            // update arena, SIMD), the feeds and fetches (ONNX Runtime tensors over the arena)
            readMs: round(t.readMs / t.steps, 3),
            targetMs: round(t.targetMs / t.steps, 3),
            masksMs: round(t.masksMs / t.steps, 3),
            feedsMs: round(t.feedsMs / t.steps, 3),
            graphMs: round(t.runMs / t.steps),
            // AdamW (WebAssembly SIMD) and the running statistics
            updateMs: round(t.updateMs / t.steps),
            adamMs: round(t.adamMs / t.steps),
            // per batch, outside the engine's step: the fit loop, its data and callbacks
            loopMs: round(loopMs),
            // the weights go back to TF.js only when something reads them there: here at the stage's end
            handBacks: t.syncs,
            msPerHandBack: round(t.syncMs / Math.max(1, t.syncs)),
            validationMsPerEpoch: round(t.predictMs / 6)
          }
        }
      : {})
  }
}

/** A head epoch's wall time through fit with what follows each epoch, the variants interleaved
 * run by run in one process (so the machine's load weighs on each alike), 153 validation items as
 * hymenoptera has, ms per training image (median over runs of 6 epochs, the first left out):
 *  - before: validation on TF.js, so the weights go back to TF.js after every epoch;
 *  - engine: validation on the engine (predict), the weights back at the stage's end only;
 *  - engineBestWeights: the same with best weights (a hand-back on every better epoch);
 *  - engineCheckpoint: the same with a checkpoint after every epoch, as a studio run does (a
 *    hand-back and a SQLite write of the weights and optimizer state every epoch). */
async function fitLoopVariants(): Promise<Record<string, unknown>> {
  const rand = mulberry32(4)
  const n = TRAIN + 153
  const rows = Float32Array.from({ length: n * FEATURES }, () => rand() * 2)
  const train = Array.from({ length: TRAIN }, (_, i) => ({ label: i % 2, rows: [i] }))
  const data = new ActivationData([FEATURES], rows, train, Array.from({ length: 153 }, (_, i) => ({ label: i % 2, row: TRAIN + i })))
  const db = openDatabase(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'thaw-bench-fit-')), 'p.sqlite'), { create: true })
  const stage = stageSchema.parse({ epochs: 6, lr: 3e-3, batchSize: BATCH, weightDecay: 0.01 })
  const variants = ['before', 'engine', 'engineBestWeights', 'engineCheckpoint'] as const
  const wall: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v, []]))
  for (let rep = 0; rep < 5; rep++) {
    for (const variant of variants) {
      const head = buildHead(FEATURES, 2, { seed: 1 })
      const base = headTrainable(head)
      const fast = base.fast as OnnxHeadStep
      // before: an engine without predict, validated by TF.js on weights handed back every epoch
      const model: Trainable = variant === 'before' ? { ...base, fast: { begin: fast.begin.bind(fast), step: fast.step.bind(fast), sync: fast.sync.bind(fast), describe: () => fast.describe() } } : base
      const recorder = new Recorder({ runId: `bench-${rep}`, args: {} as TrainArgs, stageIndex: 0, epochsDone: 0, stages: [], history: [], batchesDone: 0 })
      const best = new BestWeights(() => head.getWeights())
      const callbacks: Callback[] = [recorder]
      if (variant === 'before') callbacks.push({ readsWeights: () => true })
      if (variant === 'engineBestWeights') callbacks.push(best)
      if (variant === 'engineCheckpoint') callbacks.push(best, new Checkpoint(db, recorder, () => ({ head: head.getWeights(), backbone: [] })))
      let last = 0
      const epochs: number[] = []
      callbacks.push({ afterEpoch: () => void (epochs.push(performance.now() - last), (last = performance.now())) })
      last = performance.now()
      await fitStage({ stageIndex: 0, stage, model, data, classes: ['a', 'b'], classWeights: null, seed: 5 }, callbacks)
      wall[variant]!.push(median(epochs.slice(1)) / TRAIN)
      best.dispose()
      head.dispose()
    }
  }
  db.close()
  return Object.fromEntries(variants.map((v) => [v, round(median(wall[v]!), 3)]))
}

/** The plain JavaScript AdamW pass the SIMD one replaced (one double per iteration), for the A/B. */
function adamJs(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, stepSize: number, invC2: number, decay: number): void {
  for (let i = 0; i < w.length; i++) {
    const gi = g[i]!
    const mi = m[i]! * 0.9 + gi * (1 - 0.9)
    const vi = v[i]! * 0.99 + gi * gi * (1 - 0.99)
    m[i] = mi
    v[i] = vi
    w[i] = (w[i]! - (stepSize * mi) / (Math.sqrt(vi * invC2) + 1e-7)) * decay
  }
}

/** Where a head step's AdamW update runs, the three placements interleaved step by step in one
 * process (so the machine's load weighs on each alike): ms per step, median and 10th percentile. */
async function updatePlacement(): Promise<Record<string, unknown>> {
  const d = { features: FEATURES, hidden: 512, classes: 2, epsilon: 1e-5 }
  const opts = { intraOpNumThreads: trainingThreads(), interOpNumThreads: 1, graphOptimizationLevel: 'all' as const }
  const [gradients, updating] = await Promise.all([ort.InferenceSession.create(headStepGraph(d), opts), ort.InferenceSession.create(headStepGraph(d, 'adam'), opts)])
  const shape = (name: string): number[] => {
    if (name === 'x' || name === 'mask1') return [BATCH, FEATURES]
    if (name === 'mask2') return [BATCH, d.hidden]
    if (name === 'target') return [BATCH, d.classes]
    const p = HEAD_PARAMS.find((q) => name === q || name.endsWith(`_${q}`))
    return p ? paramShape(p, d) : []
  }
  const size = (name: string): number => shape(name).reduce((a, b) => a * b, 1)
  const io = updateStepIo('adam')
  const rand = mulberry32(9)
  const values: Record<string, Float32Array> = {}
  const arena = new UpdateArena(io.inputs.map(size).concat(HEAD_PARAMS.map((p) => size(p))))
  for (const name of io.inputs) {
    values[name] = arena.array(size(name))
    values[name].forEach((_, i, a) => (a[i] = name.startsWith('v_') ? 0.01 + rand() * 0.1 : rand() * 0.1))
  }
  const grads = Object.fromEntries(HEAD_PARAMS.map((p) => [p, arena.array(size(p))]))
  const spare = Object.fromEntries(io.outputs.filter((o) => o.startsWith('new_')).map((o) => [o, new Float32Array(size(o.slice(4)))]))
  const t = (a: Float32Array, s: number[]) => new ort.Tensor('float32', a, s)
  const gradientStep = async (update: 'simd' | 'js') => {
    const feeds = Object.fromEntries(['x', 'target', 'mask1', 'mask2', ...HEAD_PARAMS].map((n) => [n, t(values[n]!, shape(n))]))
    const fetches: Record<string, ort.Tensor | null> = { loss: null, bn1_mean: null, bn1_var: null, bn2_mean: null, bn2_var: null }
    for (const p of HEAD_PARAMS) fetches[`grad_${p}`] = t(grads[p]!, shape(p))
    await gradients.run(feeds, fetches)
    for (const p of HEAD_PARAMS) {
      const [w, g, m, v] = [values[p]!, grads[p]!, values[`m_${p}`]!, values[`v_${p}`]!]
      if (update === 'simd') arena.adamw(w, g, m, v, { beta1: 0.9, beta2: 0.99, epsilon: 1e-7, stepSize: 1e-3, invC2: 1.01, decay: 1 })
      else adamJs(w, g, m, v, 1e-3, 1.01, 1)
    }
  }
  const graphStep = async () => {
    const feeds = Object.fromEntries(io.inputs.map((n) => [n, t(values[n]!, shape(n))]))
    for (const [name, value] of Object.entries({ step_size: 1e-3, inv_c2: 1.01, decay: 1 })) feeds[name] = t(Float32Array.of(value), [])
    const fetches: Record<string, ort.Tensor | null> = { loss: null, bn1_mean: null, bn1_var: null, bn2_mean: null, bn2_var: null }
    for (const [name, a] of Object.entries(spare)) fetches[name] = t(a, shape(name.slice(4)))
    await updating.run(feeds, fetches)
    for (const [name, a] of Object.entries(spare)) values[name.slice(4)]!.set(a) // the bench's copy back, outside the timing below
  }
  const times: Record<string, number[]> = { gradientGraphSimdUpdate: [], gradientGraphJsUpdate: [], updateInGraph: [] }
  const steps: [string, () => Promise<void>][] = [
    ['gradientGraphSimdUpdate', () => gradientStep('simd')],
    ['gradientGraphJsUpdate', () => gradientStep('js')],
    ['updateInGraph', graphStep]
  ]
  for (let i = 0; i < 24; i++) {
    for (const [name, step] of steps) {
      const started = performance.now()
      await step()
      if (i >= 4) times[name]!.push(performance.now() - started)
    }
  }
  await Promise.all([gradients.release(), updating.release()])
  const p10 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 10)]!
  return Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, { medianMs: round(median(xs)), p10Ms: round(p10(xs)) }]))
}

export async function run(): Promise<Record<string, unknown>> {
  registerWasmTrainingKernels()
  await tf.setBackend('wasm')
  const before = tf.memory().numTensors
  const tfjs = await tfjsStep()
  const thawed = await thawedStep()
  // the machine is shared: the load average (1, 5, 15 min) beside the epoch figures
  const loadBefore = os.loadavg().map((l) => round(l, 1))
  const [tfjsEpoch, ortEpoch] = [await epoch(false), await epoch(true)]
  const loadAfter = os.loadavg().map((l) => round(l, 1))
  // the per-step costs (weights in, update) shared by more images: what a plan's batchSize buys
  const ortBatch64 = await epoch(true, 64)
  const placement = await updatePlacement()
  const fitLoop = await fitLoopVariants()
  await releaseHeadSessions()
  return {
    threads: trainingThreads(),
    tfjsWasmStep: tfjs,
    headEpochMsPerImage: { tfjsWasm: tfjsEpoch.msPerImage, onnxRuntime: ortEpoch.msPerImage, speedup: round(tfjsEpoch.msPerImage / ortEpoch.msPerImage, 1), loadAverage: [loadBefore, loadAfter] },
    headEpochWithValidationMsPerImage: { tfjsWasm: tfjsEpoch.withValidationMsPerImage, onnxRuntime: ortEpoch.withValidationMsPerImage },
    onnxRuntimeStep: ortEpoch.timings,
    onnxRuntimeBatch64: { msPerImage: ortBatch64.msPerImage, step: ortBatch64.timings },
    updatePlacement: placement,
    headEpochThroughFitMsPerImage: fitLoop,
    thawedLastGroupStep: thawed,
    runtimes: [tfjsEpoch.runtime, ortEpoch.runtime],
    tensorsLeaked: tf.memory().numTensors - before
  }
}

if (process.argv[1]?.endsWith('headStep.ts')) {
  void run().then((r) => console.log(JSON.stringify(r, null, 2)))
}
