/**
 * A thawing step on each runtime, side by side in one process: ms per training image for
 * MobileNetV2's last group (block 17 + the 1x1 conv to 1280, from its cached 7x7x160 cut) and for
 * the last four blocks (blocks 14-17 + the 1x1 conv, from the 14x14x96 cut after block 13), each
 * with the studio's head (2560 -> 512 -> 2), batch 16 (PyTorch's reference batch), AdamW:
 *  - TF.js wasm (trainStep, the reference path);
 *  - ONNX Runtime (engines/onnx/thawStep.ts) with 1 and with 2 intra-op threads, split into the
 *    inputs (the batch out of TF.js, targets, dropout masks), the graph run (forward + backward),
 *    the update (each group's AdamW in the arena) and the hand-back to TF.js (once per epoch in
 *    training: its cost here is one sync over the steps run);
 *  - the median of 5 rounds of 8 steps for each ONNX Runtime figure, with their range;
 *  - the load average with every figure (the machine is shared), and the machine's speed in the
 *    sitting (machineSpeed.ts: the same VM's matrix products ran at half speed from one sitting
 *    to the next);
 *  - where the graph's time goes, per ONNX op type (ONNX Runtime's profiler, 1 thread), with the
 *    kernels' sum and the profiled runs' own time beside it;
 *  - with --fine-tune: the "fine-tune" preset's wall time on hymenoptera through the studio
 *    (precompute, then its head stage and its whole-network stage), and what ran each stage.
 * Synthetic cut activations for the steps: the time does not depend on their values.
 *
 *   node --import tsx bench/cases/thawStep.ts [--fine-tune | --fine-tune-only]
 */
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as ort from 'onnxruntime-node'
import { buildSegment, loadBackbone } from '../../src/main/backbones'
import { registerWasmTrainingKernels } from '../../src/main/engine/kernels'
import { nchwcBlockSize } from '../../src/main/training/engines/onnx/convGradients'
import { OnnxThawStep, releaseThawSessions } from '../../src/main/training/engines/onnx/thawStep'
import { groupMembers } from '../../src/main/training/groups'
import { buildHead } from '../../src/main/training/head'
import { makeOptimizer } from '../../src/main/training/optimizers'
import { trainStep } from '../../src/main/training/step'
import { thawedTrainable } from '../../src/main/training/trainable'
import { mulberry32 } from '../../src/main/util/random'
import { headInput, thawTrainingGraph } from '../../src/main/training/engines/onnx/thawStepGraph'
import { headLayers } from '../../src/main/training/engines/onnx/headStep'
import { HEAD_PARAMS } from '../../src/main/training/engines/onnx/headGraph'
import { lossTargets } from '../../src/main/training/engines/onnx/stepInputs'
import { trainableVars } from '../../src/main/training/head'
import { fineTunePlan, stageSchema } from '../../src/shared/plan'
import type { StagePhases } from '../../src/shared/types'
import { BACKBONES, benchProject } from './fixtures'
import { gemmGflops } from './machineSpeed'
import { opTimes } from './ortProfile'

const BATCH = 16
const STEPS = 8
/** rounds of STEPS steps each runtime is timed over: the median is the figure (these machines
 * are noisy: one round of 8 steps is under a second), the range beside it */
const ROUNDS = 5
const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d
const load = (): number[] => os.loadavg().map((l) => round(l, 1))

/** Milliseconds per training image of each ONNX op type in the step graph (1 thread, profiled). */
async function opProfile(segment: tf.LayersModel, head: tf.LayersModel, x: tf.Tensor): Promise<Record<string, number>> {
  const layers = headLayers(head)
  if (typeof layers === 'string') return { [layers]: 0 }
  const shape = segment.inputs[0]!.shape.slice(1) as [number, number, number]
  const graph = thawTrainingGraph(segment, layers.dims, shape, x.shape[0], await nchwcBlockSize(ort)) // built as the engine builds it
  if (typeof graph === 'string') return { [graph]: 0 }
  const prefix = path.join(os.tmpdir(), `thaw-step-profile-${process.pid}`)
  const session = await ort.InferenceSession.create(graph.model, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all', enableProfiling: true, profileFilePrefix: prefix })
  const n = x.shape[0]!
  const t = (data: Float32Array, dims: number[]) => new ort.Tensor('float32', data, dims)
  const ones = (k: number) => new Float32Array(k).fill(1)
  const feeds: Record<string, ort.Tensor> = {
    x: t(x.dataSync() as Float32Array, x.shape),
    target: t(lossTargets(Array.from({ length: n }, (_, i) => i % 2), layers.dims.classes, null), [n, layers.dims.classes]),
    mask1: t(ones(n * layers.dims.features), [n, layers.dims.features]),
    mask2: t(ones(n * layers.dims.hidden), [n, layers.dims.hidden])
  }
  for (const p of graph.segment.params) feeds[p.name] = t(p.toOnnx(p.variable.dataSync() as Float32Array), p.shape)
  const headVars = trainableVars(head.layers)
  HEAD_PARAMS.forEach((p, i) => (feeds[headInput(p)] = t(headVars[i]!.dataSync() as Float32Array, headVars[i]!.shape)))
  const warm = 2
  const runs = 5
  for (let r = 0; r < warm + runs; r++) await session.run(feeds)
  session.endProfiling() // writes <prefix>_<time>.json
  await session.release()
  return opTimes(prefix, { warm, runs, images: n })
}

/** The process's peak resident set (VmHWM), MB; null where /proc is not there. */
function peakRssMB(): number | null {
  try {
    const kb = /VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1]
    return kb ? Math.round(Number(kb) / 1024) : null
  } catch {
    return null
  }
}

/** A stage's phases in seconds (counts as they are). */
function phaseSeconds(p: StagePhases): Record<string, unknown> {
  const sec = (o: Record<string, number>): Record<string, number> =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k.replace(/Ms$/, 'S'), k.endsWith('Ms') ? round(v / 1000, 2) : v]))
  const { engine, ...rest } = p
  return { ...sec(rest as unknown as Record<string, number>), ...(engine ? { engine: sec(engine) } : {}) }
}

/** The "fine-tune" preset on hymenoptera through the studio: wall time and each stage's runtime. */
async function fineTune(): Promise<Record<string, unknown>> {
  const { studio, api } = await benchProject('thaw-fine-tune')
  try {
    const loadBefore = load()
    let started = performance.now()
    await api.precompute({ views: 0 })
    const precomputeSeconds = round((performance.now() - started) / 1000, 1)
    started = performance.now()
    const cpu = process.cpuUsage()
    const report = await api.train({ plan: fineTunePlan(), views: 0 })
    const used = process.cpuUsage(cpu)
    return {
      seconds: round((performance.now() - started) / 1000, 1),
      // CPU time of the whole process (the engine workers are its threads): steadier than the wall
      // time on a shared machine for A/B runs
      cpuSeconds: round((used.user + used.system) / 1e6, 1),
      // the process's peak resident memory (Linux), MB: micro-batches trade memory for runs
      peakRssMB: peakRssMB(),
      precomputeSeconds,
      accuracy: round(report.valid.accuracy * 100, 1),
      stages: report.stages.map((s) => s.runtime),
      // where each stage's time went (fit.ts StagePhases), seconds; the engine's split of its steps
      phases: report.stages.map((s) => s.phases && phaseSeconds(s.phases)),
      epochTrainMs: report.epochs.map((e) => e.trainMs),
      loadAverage: [loadBefore, load()]
    }
  } finally {
    await studio.close()
  }
}

export async function run(argv: readonly string[] = process.argv): Promise<Record<string, unknown>> {
  await tf.setBackend('wasm')
  registerWasmTrainingKernels()
  const bb = await loadBackbone('mobilenet_v2_1.0_224', { cacheDir: path.join(os.tmpdir(), 'thaw-bench-cache'), mirror: BACKBONES })
  const members = groupMembers(bb.model, bb.spec)
  const out: Record<string, unknown> = { batch: BATCH, steps: STEPS, cores: os.availableParallelism(), machineGemmGflops: await gemmGflops() }
  // --fine-tune-only: the preset alone (A/B runs of the preset without the step benches)
  if (argv.includes('--fine-tune-only')) {
    bb.model.dispose()
    return { fineTunePreset: await fineTune() }
  }
  try {
    for (const [name, count] of [['lastGroup', 1], ['lastFourBlocks', 2]] as const) {
      const first = members.length - count
      const segment = buildSegment(bb.model, bb.spec.groups[first - 1]!.lastLayer, bb.spec.featureLayer)
      const head = buildHead(2560, 2, { seed: 1 })
      const groups = members.slice(first).map((names, i) => ({ name: bb.spec.groups[first + i]!.name, layers: names.map((n) => bb.model.getLayer(n)) }))
      const model = thawedTrainable(segment, head, groups)
      const shape = segment.inputs[0]!.shape.slice(1) as number[]
      const rand = mulberry32(3)
      const x = tf.tensor(Float32Array.from({ length: BATCH * shape.reduce((a, b) => a * b, 1) }, () => rand() * 3), [BATCH, ...shape])
      const labels = tf.tensor1d(Array.from({ length: BATCH }, (_, i) => i % 2), 'int32')
      const stage = stageSchema.parse({ epochs: 1, lr: [1e-5, 1e-4], optimizer: 'adam', batchSize: BATCH })
      const rates = model.groups.map(() => 1e-5) // small: the weights barely move while timed
      const start = model.groups.flatMap((g) => g.vars).map((v) => v.dataSync().slice())
      const restore = (): void => tf.tidy(() => model.groups.flatMap((g) => g.vars).forEach((v, i) => v.assign(tf.tensor(start[i]!, v.shape))))

      // TF.js wasm: trainStep as the fit loop runs it
      const tfOpts = model.groups.map(() => makeOptimizer(stage, 1e-5))
      for (let s = 0; s < 2; s++) trainStep(model, tfOpts, rates, 0.01, x, labels, null, s, model.microBatch)
      const tfLoad = load()
      let t = performance.now()
      for (let s = 0; s < STEPS; s++) trainStep(model, tfOpts, rates, 0.01, x, labels, null, s, model.microBatch)
      const tfMs = (performance.now() - t) / (STEPS * BATCH) // one round: TF.js is 5-10x slower, and steadier
      for (const o of tfOpts) o.dispose()
      restore()

      const onnx: Record<string, unknown> = {}
      for (const threads of [1, 2]) {
        const fast = new OnnxThawStep(segment, head, { groups: model.groups, microBatch: model.microBatch!, frozenBn: 0 }, { threads })
        const opts = model.groups.map(() => makeOptimizer(stage, 1e-5))
        const why = await fast.begin(stage, opts)
        if (why) {
          onnx[`threads${threads}`] = `declined: ${why}`
          continue
        }
        for (let s = 0; s < 2; s++) await fast.step({ x, labels, classWeights: null, rates, weightDecay: 0.01, seed: s })
        Object.assign(fast.timings, { steps: 0, runs: 0, inputsMs: 0, runMs: 0, updateMs: 0, syncMs: 0 })
        const loadAvg = load()
        const rounds: number[] = []
        for (let r = 0; r < ROUNDS; r++) {
          t = performance.now()
          for (let s = 0; s < STEPS; s++) await fast.step({ x, labels, classWeights: null, rates, weightDecay: 0.01, seed: s })
          rounds.push((performance.now() - t) / (STEPS * BATCH))
        }
        const sorted = [...rounds].sort((a, b) => a - b)
        await fast.sync(opts)
        const per = (ms: number): number => round(ms / (ROUNDS * STEPS * BATCH), 3)
        const v = fast.timings
        onnx[`threads${threads}`] = {
          msPerTrainImage: round(sorted[Math.floor(ROUNDS / 2)]!),
          rangeMsPerTrainImage: [round(sorted[0]!), round(sorted[ROUNDS - 1]!)],
          phasesMsPerImage: { inputs: per(v.inputsMs), graphRun: per(v.runMs), update: per(v.updateMs), syncOnce: per(v.syncMs) },
          loadAverage: loadAvg
        }
        for (const o of opts) o.dispose()
        restore()
      }
      const profileLoad = load()
      const ops = await opProfile(segment, head, x)
      out[name] = { cut: shape, tfjsWasm: { msPerTrainImage: round(tfMs), loadAverage: tfLoad }, onnxruntime: onnx, opsMsPerImage1Thread: { ...ops, loadAverage: profileLoad } }
      tf.dispose([x, labels])
      head.dispose()
      segment.dispose()
      await releaseThawSessions()
    }
  } finally {
    bb.model.dispose()
  }
  if (argv.includes('--fine-tune')) out.fineTunePreset = await fineTune()
  return out
}

if (process.argv[1]?.endsWith('thawStep.ts')) {
  void run().then((r) => {
    console.log(JSON.stringify(r, null, 2))
    process.exit(0)
  })
}
