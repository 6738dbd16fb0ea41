// Runs in the engine worker. Head-only training steps on ONNX Runtime: the gradients from one
// native graph (headStepGraph.ts) over every core, written straight into the update arena where
// the weights and optimizer state live between steps, then the update there (optimizerState.ts,
// wasmUpdate.ts: one WebAssembly SIMD pass for AdamW). TF.js
// stays the definition: the head is a tf.LayersModel, its dropout masks are the ones the TF.js path draws from
// the step's seed, and weights, running statistics and optimizer state go back into TF.js
// (`sync`) when something reads them there: checkpoints, best weights, the stage's end. Validation
// needs no hand-back: `predict` runs the head's inference graph (headInferenceGraph.ts) on the
// arena's weights.
import os from 'node:os'
import * as tf from '@tensorflow/tfjs'
import type * as Ort from 'onnxruntime-node'
import { loadOnnxRuntime } from '../../../engine/onnxruntime'
import type { Stage } from '../../../../shared/plan'
import type { FastStep, StepBatch } from '../fastStep'
import { dropoutMask } from '../../dropout'
import { headInferenceGraph, statShape } from './headInferenceGraph'
import { HEAD_PARAMS, HEAD_STATS, paramShape, type HeadDims, type HeadParam } from './headGraph'
import { headStepGraph, OPTIMIZER_SLOTS } from './headStepGraph'
import { OptimizerState } from './optimizerState'
import { lossTargets, movingAverage } from './stepInputs'
import { UpdateArena } from './wasmUpdate'

/** `THAW_TRAIN_RUNTIME=tfjs` keeps every step on TF.js (the reference path; benchmarks compare). */
export function onnxTrainingWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.THAW_TRAIN_RUNTIME ?? 'auto') !== 'tfjs'
}

export interface HeadLayers {
  bn1: tf.layers.Layer
  fc1: tf.layers.Layer
  bn2: tf.layers.Layer
  logits: tf.layers.Layer
  /** dropout rates, in order */
  rates: [number, number]
  dims: HeadDims
}

type LayerConfig = { activation?: string; rate?: number; epsilon?: number; momentum?: number; units?: number; center?: boolean; scale?: boolean; useBias?: boolean }
const config = (l: tf.layers.Layer): LayerConfig => l.getConfig() as LayerConfig

/** The head's layers when it is the studio's head (head.ts), or why the native step cannot run it. */
export function headLayers(head: tf.LayersModel): HeadLayers | string {
  const layers = head.layers.filter((l) => l.getClassName() !== 'InputLayer')
  const kinds = layers.map((l) => l.getClassName()).join(',')
  if (kinds !== 'BatchNormalization,Dropout,Dense,BatchNormalization,Dropout,Dense') return `the head is not the studio's (layers ${kinds})`
  const [bn1, drop1, fc1, bn2, drop2, logits] = layers as [tf.layers.Layer, tf.layers.Layer, tf.layers.Layer, tf.layers.Layer, tf.layers.Layer, tf.layers.Layer]
  if (config(fc1).activation !== 'relu' || config(logits).activation !== 'linear') return 'the head has other activations than relu, linear'
  if (config(bn1).epsilon !== config(bn2).epsilon) return 'the head has two batch norms of different epsilon'
  for (const l of [bn1, bn2]) if (config(l).center === false || config(l).scale === false) return 'a batch norm of the head has no scale or offset'
  for (const l of [fc1, logits]) if (config(l).useBias === false) return 'a dense layer of the head has no bias'
  const features = (bn1.outputShape as number[])[1]!
  return {
    bn1,
    fc1,
    bn2,
    logits,
    rates: [config(drop1).rate ?? 0, config(drop2).rate ?? 0],
    dims: { features, hidden: config(fc1).units!, classes: config(logits).units!, epsilon: config(bn1).epsilon! }
  }
}

const sessions = new Map<string, Promise<Ort.InferenceSession>>()

/** Intra-op threads: every core of the machine (a training step has the worker to itself). */
export const trainingThreads = (): number => Math.max(1, os.availableParallelism())

/** Session options of the head's graphs. Idle intra-op threads do not spin: after each run the
 * step's own work (AdamW, the next batch's masks and rows) needs the core a spinning pool thread
 * would hold; measured in bench train's headStep (the same minutes, load average 3.5-4.8, batch
 * 32, 2 threads): 0.19-0.67 ms/image without spinning against 0.34-1.18 with it, and AdamW's
 * pass 1.3-3.1 ms against 1.9-7.3. The arithmetic is the same either way (to the bit). */
export const HEAD_SESSION_OPTIONS = (threads: number): Ort.InferenceSession.SessionOptions => ({
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  extra: { session: { intra_op: { allow_spinning: '0' } } }
})

/** The session of a head's training step, or of its inference graph, built once per shape. */
async function sessionFor(graph: 'step' | 'inference', dims: HeadDims, threads: number): Promise<Ort.InferenceSession> {
  const key = `${graph}:${dims.features}x${dims.hidden}x${dims.classes}@${dims.epsilon}:${threads}`
  let session = sessions.get(key)
  if (!session) {
    // the worker's one lazy loader: onnxruntime is loaded when a stage first trains on it
    const ort = await loadOnnxRuntime()
    session = ort.InferenceSession.create(graph === 'step' ? headStepGraph(dims) : headInferenceGraph(dims), HEAD_SESSION_OPTIONS(threads))
    sessions.set(key, session)
    session.catch(() => sessions.delete(key))
  }
  return session
}

/** Frees the sessions (a worker that is about to exit, tests). */
export async function releaseHeadSessions(): Promise<void> {
  const all = [...sessions.values()]
  sessions.clear()
  for (const s of all) await (await s).release()
}

export class OnnxHeadStep implements FastStep {
  private layers: HeadLayers | null = null
  private session: Ort.InferenceSession | null = null
  private inference: Ort.InferenceSession | null = null
  private ort: typeof Ort | null = null
  private params: Record<HeadParam, { variable: tf.Variable; value: Float32Array; grad: Float32Array; decays: boolean }> | null = null
  private moving: { mean: Float32Array; variance: Float32Array; momentum: number }[] = []
  private optimizer: OptimizerState | null = null
  /** the dropout masks' arrays in the arena, for the stage's largest batch (a last batch of one
   * joins the one before: batchSize + 1 rows) */
  private masks: { arena: UpdateArena; rows: number; mask1: Float32Array; mask2: Float32Array } | null = null
  /** where a step's time goes, summed over the steps (the bench reads it): the inputs (batch out of
   * TF.js, masks), the graph (forward and backward), the update, the hand-back; the inputs split
   * into the batch out of TF.js (readMs), the loss targets, the dropout masks and the feeds */
  readonly timings = { steps: 0, inputsMs: 0, readMs: 0, targetMs: 0, masksMs: 0, feedsMs: 0, runMs: 0, updateMs: 0, adamMs: 0, syncMs: 0, syncs: 0, predictMs: 0 }

  private readonly threads: number

  constructor(
    private readonly head: tf.LayersModel,
    /** intra-op threads; fewer than every core when other workers train at the same time (the
     * folds of suspects): more threads than cores only spin against each other */
    opts: { threads?: number } = {}
  ) {
    this.threads = Math.max(1, Math.floor(opts.threads ?? trainingThreads()))
  }

  describe(): string {
    return `onnxruntime-node (cpu, ${this.threads} threads)`
  }

  async begin(stage: Stage, optimizers: tf.Optimizer[]): Promise<string | null> {
    if (!onnxTrainingWanted()) return 'THAW_TRAIN_RUNTIME=tfjs'
    if (optimizers.length !== 1) return `a head-only stage has one optimizer, not ${optimizers.length}`
    const layers = headLayers(this.head)
    if (typeof layers === 'string') return layers
    const kind = stage.optimizer ?? 'adam'
    try {
      ;[this.session, this.inference] = await Promise.all([sessionFor('step', layers.dims, this.threads), sessionFor('inference', layers.dims, this.threads)])
      this.ort = await loadOnnxRuntime()
    } catch (err) {
      return `onnxruntime-node could not start: ${(err as Error).message}`
    }
    this.layers = layers
    const variables = headVariables(layers)
    // weights, gradients and optimizer state in one arena: ONNX Runtime reads and writes it in place
    const sizes = HEAD_PARAMS.map((p) => variables[p].size)
    const rows = stage.batchSize + 1
    const maskSizes = [rows * layers.dims.features, rows * layers.dims.hidden]
    const arena = new UpdateArena([...sizes.flatMap((n) => Array<number>(2 + OPTIMIZER_SLOTS[kind].length).fill(n)), ...maskSizes])
    this.params = Object.fromEntries(
      HEAD_PARAMS.map((p) => {
        const value = arena.array(variables[p].size)
        value.set(variables[p].dataSync() as Float32Array)
        return [p, { variable: variables[p], value, grad: arena.array(variables[p].size), decays: /kernel/.test(variables[p].name) }]
      })
    ) as Record<HeadParam, { variable: tf.Variable; value: Float32Array; grad: Float32Array; decays: boolean }>
    this.moving = [layers.bn1, layers.bn2].map((l) => {
      const [mean, variance] = l.nonTrainableWeights.map((w) => (w.read().dataSync() as Float32Array).slice())
      return { mean: mean!, variance: variance!, momentum: config(l).momentum ?? 0.99 }
    })
    // the optimizer's slots follow the order of the head's trainable variables (trainableVars)
    this.optimizer = new OptimizerState(kind, HEAD_PARAMS.map((p) => variables[p]), arena)
    this.masks = { arena, rows, mask1: arena.array(maskSizes[0]!), mask2: arena.array(maskSizes[1]!) }
    await this.optimizer.load(optimizers[0]!)
    return null
  }

  async step(batch: StepBatch): Promise<number> {
    const { session, ort, layers, params, optimizer } = this.ready()
    const { dims } = layers
    const t0 = performance.now()
    const labels = (await batch.labels.data()) as Int32Array
    const n = labels.length
    const x = (await batch.x.data()) as Float32Array
    const tRead = performance.now()
    const target = lossTargets(labels, dims.classes, batch.classWeights)
    const tTarget = performance.now()
    // the masks applyHead draws: dropout layer k with a rate uses seed + k; drawn into the arena
    // (SIMD) for batches that fit, else in JavaScript (the same values)
    let k = 0
    const masks = this.masks && n <= this.masks.rows ? this.masks : null
    const mask = (rate: number, width: number, into: 'mask1' | 'mask2'): Float32Array => {
      const seed = rate > 0 ? batch.seed + k++ : 0
      if (!masks) return dropoutMask(n, width, rate, seed)
      const out = masks[into].subarray(0, n * width)
      masks.arena.dropout(out, rate, seed)
      return out
    }
    const mask1 = mask(layers.rates[0], dims.features, 'mask1')
    const mask2 = mask(layers.rates[1], dims.hidden, 'mask2')
    const tMasks = performance.now()
    const t = (data: Float32Array, shape: number[]): Ort.Tensor => new ort.Tensor('float32', data, shape)
    const feeds: Record<string, Ort.Tensor> = {
      x: t(x, [n, dims.features]),
      target: t(target, [n, dims.classes]),
      mask1: t(mask1, [n, dims.features]),
      mask2: t(mask2, [n, dims.hidden])
    }
    // the gradients go straight into the arena's arrays (preallocated outputs)
    const fetches: Record<string, Ort.Tensor | null> = { loss: null, bn1_mean: null, bn1_var: null, bn2_mean: null, bn2_var: null }
    for (const p of HEAD_PARAMS) {
      feeds[p] = t(params[p].value, paramShape(p, dims))
      fetches[`grad_${p}`] = t(params[p].grad, paramShape(p, dims))
    }
    const t1 = performance.now()
    const out = await session.run(feeds, fetches)
    const t2 = performance.now()
    optimizer.step(HEAD_PARAMS.map((p) => params[p]), batch.rates[0]!, batch.weightDecay)
    const tAdam = performance.now()
    // running statistics, as tfjs-layers' BatchNormalization: moving -= (moving - batch) * (1 - momentum)
    for (const [i, tag] of (['bn1', 'bn2'] as const).entries()) {
      const m = this.moving[i]!
      movingAverage(m.mean, out[`${tag}_mean`]!.data as Float32Array, m.momentum)
      movingAverage(m.variance, out[`${tag}_var`]!.data as Float32Array, m.momentum)
    }
    const loss = (out.loss!.data as Float32Array)[0]!
    for (const v of Object.values(out)) v.dispose() // drops ONNX Runtime's references; the arrays stay ours
    const t3 = performance.now()
    this.timings.steps++
    this.timings.inputsMs += t1 - t0
    this.timings.readMs += tRead - t0
    this.timings.targetMs += tTarget - tRead
    this.timings.masksMs += tMasks - tTarget
    this.timings.feedsMs += t1 - tMasks
    this.timings.adamMs += tAdam - t2
    this.timings.runMs += t2 - t1
    this.timings.updateMs += t3 - t2
    return loss
  }

  async sync(optimizers: tf.Optimizer[]): Promise<void> {
    const { layers, params, optimizer } = this.ready()
    const started = performance.now()
    // assign shares the new tensor's data with the variable: tidy frees the temporaries' handles
    tf.tidy(() => {
      for (const p of HEAD_PARAMS) params[p].variable.assign(tf.tensor(params[p].value.slice(), params[p].variable.shape))
      for (const [i, l] of [layers.bn1, layers.bn2].entries()) {
        const m = this.moving[i]!
        const [mean, variance] = l.nonTrainableWeights
        // copies: the steps go on updating these arrays in place, and a backend may keep the array
        // it is given (cpu does), so the kept weights (best weights, a checkpoint) would move too
        mean!.write(tf.tensor(m.mean.slice(), mean!.read().shape))
        variance!.write(tf.tensor(m.variance.slice(), variance!.read().shape))
      }
    })
    await optimizer.store(optimizers[0]!)
    this.timings.syncMs += performance.now() - started
    this.timings.syncs++
  }

  async predict(x: tf.Tensor): Promise<Float32Array> {
    const { ort, layers, params } = this.ready()
    if (!this.inference) throw new Error('internal: OnnxHeadStep.predict before begin')
    const started = performance.now()
    const { dims } = layers
    const n = x.shape[0]!
    const t = (data: Float32Array, shape: number[]): Ort.Tensor => new ort.Tensor('float32', data, shape)
    const feeds: Record<string, Ort.Tensor> = { x: t((await x.data()) as Float32Array, [n, dims.features]) }
    for (const p of HEAD_PARAMS) feeds[p] = t(params[p].value, paramShape(p, dims))
    HEAD_STATS.forEach((s, i) => {
      const m = this.moving[i >> 1]!
      feeds[s] = t(i % 2 ? m.variance : m.mean, statShape(s, dims))
    })
    const out = await this.inference.run(feeds)
    const logits = out.logits!.data as Float32Array
    this.timings.predictMs += performance.now() - started
    return logits
  }

  private ready() {
    if (!this.session || !this.ort || !this.layers || !this.params || !this.optimizer) throw new Error('internal: OnnxHeadStep.step before begin')
    return { session: this.session, ort: this.ort, layers: this.layers, params: this.params, optimizer: this.optimizer }
  }
}

function weight(layer: tf.layers.Layer, i: number): tf.Variable {
  return layer.trainableWeights[i]!.read() as tf.Variable
}

/** The TF.js variable behind each of the head's parameters (the graphs' names for them). */
export function headVariables(layers: HeadLayers): Record<HeadParam, tf.Variable> {
  return {
    bn1_gamma: weight(layers.bn1, 0),
    bn1_beta: weight(layers.bn1, 1),
    fc1_kernel: weight(layers.fc1, 0),
    fc1_bias: weight(layers.fc1, 1),
    bn2_gamma: weight(layers.bn2, 0),
    bn2_beta: weight(layers.bn2, 1),
    logits_kernel: weight(layers.logits, 0),
    logits_bias: weight(layers.logits, 1)
  }
}
