// Runs in the engine worker. Training steps of a thawing stage (backbone groups train) on ONNX
// Runtime: one graph per step (thawStepGraph.ts) gives the loss, every gradient and the batch
// statistics, written straight into the update arena where the weights and each group's
// optimizer state live between steps; each group's update then runs there at the group's own
// rate (optimizerState.ts). TF.js stays the definition: the segment and the head are
// tf.LayersModels, the dropout masks are the ones the TF.js path draws from the step's seed,
// micro-batches split a batch exactly where trainStep splits it, and weights, running statistics
// and optimizer state go back into TF.js (`sync`) before anything else reads them. Validation
// (`predict`) runs the network the exporter writes from those weights, as constants.
import * as tf from '@tensorflow/tfjs'
import type * as Ort from 'onnxruntime-node'
import { loadOnnxRuntime } from '../../../engine/onnxruntime'
import type { Stage } from '../../../../shared/plan'
import type { FastStep, StepBatch } from '../fastStep'
import { dropoutMask } from '../../dropout'
import { headLayers, headVariables, onnxTrainingWanted, trainingThreads } from './headStep'
import { HEAD_PARAMS, paramShape, type HeadDims, type HeadParam } from './headGraph'
import { OPTIMIZER_SLOTS } from './headStepGraph'
import { nchwcBlockSize } from './convGradients'
import { OptimizerState, type Layout } from './optimizerState'
import { headBatchStat, headGrad, headInput, thawTrainingGraph, type ThawGraph } from './thawStepGraph'
import { tfjsToOnnx } from '../../../export/onnx'
import { applyLayers, concatPoolLayers } from '../../fuse'
import { applySegment } from '../../../backbones'
import { lossTargets, movingAverage } from './stepInputs'
import { UpdateArena } from './wasmUpdate'
import { microBatchFor, nativeStepMemory } from '../../stepMemory'
import { batchBounds } from '../../data/fitData'

export interface ThawGroups {
  /** variables of each thawed group, earliest first, head last (Trainable.groups) */
  groups: { name: string; vars: tf.Variable[] }[]
  /** images per forward/backward pass; a batch is split as trainStep splits it at the same size.
   * Left out, the engine takes what native memory allows (nativeStepMemory), not TF.js's
   * Trainable.microBatch (sized for a 4 GB wasm heap: 3 images for the whole MobileNetV2 at 224
   * px, where this allows 9 on a 16 GB machine: 4 runs of 8 for a batch of 32). Batch norm (the head's, and the segment's in
   * training mode) then sees the statistics of bigger micro-batches than on TF.js: the same
   * update as trainStep with that micro-batch, not as trainStep with TF.js's. */
  microBatch?: number
  /** batch-norm layers of frozen groups that train (trainBn): the engine does not run those */
  frozenBn: number
}

/** One weight the step trains: where it lives in the arena, and how it maps to its variable. */
interface Param {
  variable: tf.Variable
  /** graph input name */
  input: string
  /** graph output of its gradient */
  output: string
  shape: number[]
  value: Float32Array
  grad: Float32Array
  decays: boolean
  layout: Layout | null
}

/** A batch norm's running statistics, kept here while the stage's steps run. */
interface Running {
  layer: tf.layers.Layer
  mean: Float32Array
  variance: Float32Array
  momentum: number
  /** graph outputs of its batch statistics */
  batchMean: string
  batchVariance: string
}

type Sessions = Map<string, Promise<{ session: Ort.InferenceSession; graph: ThawGraph }>>
const trainingSessions = new WeakMap<tf.LayersModel, Sessions>()
/** every session made, with how to drop it from the cache */
const live = new Map<Promise<{ session: Ort.InferenceSession }>, () => void>()

/** ONNX Runtime's NCHWc channel block on this machine (null: it has none), probed once */
let nchwcBlock: Promise<number | null> | undefined
const machineNchwcBlock = (ort: typeof Ort): Promise<number | null> => (nchwcBlock ??= nchwcBlockSize(ort))

/** `batch`: the micro-batch size the session runs (one session per size: its depthwise
 * convolutions are grouped per image, segmentGraph.ts). */
async function trainingSession(segment: tf.LayersModel, head: tf.LayersModel, threads: number, batch: number): Promise<{ session: Ort.InferenceSession; graph: ThawGraph } | string> {
  const layers = headLayers(head)
  if (typeof layers === 'string') return layers
  const shape = inputShape(segment)
  if (typeof shape === 'string') return shape
  const ort = await loadOnnxRuntime()
  const block = await machineNchwcBlock(ort)
  // from here to the cache entry nothing awaits: one session per key
  const key = `${JSON.stringify(layers.dims)}:${threads}:${batch}`
  let bySegment = trainingSessions.get(segment)
  if (!bySegment) trainingSessions.set(segment, (bySegment = new Map()))
  let made = bySegment.get(key)
  if (!made) {
    const graph = thawTrainingGraph(segment, layers.dims, shape, batch, block)
    if (typeof graph === 'string') return graph
    made = ort.InferenceSession.create(graph.model, sessionOptions(threads)).then((session) => ({ session, graph }))
    bySegment.set(key, made)
    const forget = (): void => void bySegment.delete(key)
    live.set(made, forget)
    made.catch(() => {
      forget()
      live.delete(made!)
    })
  }
  return made
}

// Idle intra-op threads spin here, unlike the head's sessions (HEAD_SESSION_OPTIONS): a thawing
// graph is hundreds of nodes back to back with little JavaScript between runs. Quiet machine,
// bench/cases/thawStep.ts, 2 threads, alternately (2026-12-02 06:44, load 1.3-1.7): spinning 2.93 /
// 5.97 ms per training image (last group / last four blocks), not spinning 3.47 / 7.27. Under load
// 5.4-5.9 it was the reverse (14.4-16.9 against 22.3-28.3 for the four blocks).
const sessionOptions = (threads: number): Ort.InferenceSession.SessionOptions => ({ intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' })

/** One example's NHWC shape at the segment's input, or why the engine cannot take it. */
function inputShape(segment: tf.LayersModel): [number, number, number] | string {
  const shape = segment.inputs[0]!.shape
  if (shape.length !== 4 || shape.slice(1).some((d) => d === null)) return `the segment's input is not a feature map of known size (${JSON.stringify(shape)})`
  return shape.slice(1) as [number, number, number]
}

/** Frees the training sessions built for `segment` (its run is over: the network that owns it
 * disposes it). They are kept between the stages of a run, which reuse a segment. */
export async function releaseSegmentSessions(segment: tf.LayersModel): Promise<void> {
  const bySegment = trainingSessions.get(segment)
  if (!bySegment) return
  trainingSessions.delete(segment)
  for (const made of bySegment.values()) {
    live.delete(made)
    await (await made.catch(() => null))?.session.release()
  }
}

/** How many training sessions are alive (tests). */
export const liveThawSessions = (): number => live.size

/** Frees the training sessions (a worker that is about to exit, tests). */
export async function releaseThawSessions(): Promise<void> {
  const all = [...live]
  live.clear()
  for (const [made, forget] of all) {
    forget()
    await (await made).session.release()
  }
}

/** The segment, concat pooling and the head as one network, every layer applied anew (inline,
 * as fuseModel does): its dispose then drops exactly the references it took. */
function validationNetwork(segment: tf.LayersModel, head: tf.LayersModel): tf.LayersModel {
  const input = tf.input({ shape: segment.inputs[0]!.shape.slice(1) as number[], name: 'validation_input' })
  const map = applySegment(segment, null, segment.outputLayers[0]!.name, input)
  return tf.model({ inputs: input, outputs: applyLayers(head, concatPoolLayers(map)), name: `${segment.name}__validation` })
}

const config = (l: tf.layers.Layer) => l.getConfig() as { momentum?: number }

export class OnnxThawStep implements FastStep {
  private session: Ort.InferenceSession | null = null
  /** the micro-batch size `session` runs (others get their own, sessionFor) */
  private sessionBatch = 0
  private ort: typeof Ort | null = null
  private graph: ThawGraph | null = null
  /** per group (Trainable.groups order), its weights in the group's variable order */
  private groupParams: Param[][] = []
  private head: Record<HeadParam, Param> | null = null
  private running: Running[] = []
  private headRunning: Record<'bn1' | 'bn2', Running> | null = null
  private optimizers: OptimizerState[] = []
  private dims: (HeadDims & { rates: [number, number] }) | null = null
  /** gradients of a micro-batch before they are added to the batch's (first micro-batch: none) */
  private scratch: Map<Param, Float32Array> | null = null
  /** inference session of the weights and running statistics of the last step (predict) */
  private inference: Promise<Ort.InferenceSession> | null = null
  private inferenceStale = true
  /** steps ran since the weights last went into TF.js */
  private unwritten = false
  /** the segment, concat pooling and the head as one TF.js network, which `predict` converts;
   * made per stage (`release` drops it) */
  private validationNet: tf.LayersModel | null = null
  /** where a step's time goes, summed over the steps (the bench reads it) */
  readonly timings = { steps: 0, runs: 0, inputsMs: 0, runMs: 0, accumulateMs: 0, updateMs: 0, syncMs: 0, predictMs: 0 }
  /** inference sessions built and released so far (tests: none outlives its stage) */
  readonly sessions = { inferenceBuilt: 0, inferenceReleased: 0 }
  private readonly threads: number
  /** images per graph run at most (ThawGroups.microBatch, or what native memory allows) */
  readonly microBatch: number
  /** images per graph run in the current stage (stageMicroBatch) */
  private micro = 1

  constructor(
    private readonly segment: tf.LayersModel,
    private readonly headModel: tf.LayersModel,
    private readonly parts: ThawGroups,
    opts: { threads?: number } = {}
  ) {
    this.threads = Math.max(1, Math.floor(opts.threads ?? trainingThreads()))
    this.microBatch = Math.max(1, Math.floor(parts.microBatch ?? microBatchFor(segment, nativeStepMemory())))
  }

  describe(): string {
    return `onnxruntime-node (cpu, ${this.threads} threads)`
  }

  async begin(stage: Stage, optimizers: tf.Optimizer[]): Promise<string | null> {
    if (!onnxTrainingWanted()) return 'THAW_TRAIN_RUNTIME=tfjs'
    const { groups, frozenBn } = this.parts
    if (frozenBn) return `trainBn: ${frozenBn} batch-norm layers of frozen groups train, which the ONNX step does not run`
    if (optimizers.length !== groups.length) return `the stage has ${optimizers.length} optimizers for ${groups.length} groups`
    const layers = headLayers(this.headModel)
    if (typeof layers === 'string') return layers
    let made: { session: Ort.InferenceSession; graph: ThawGraph } | string
    try {
      // the size most micro-batches have (a stage's batches are at most batchSize images)
      this.micro = this.stageMicroBatch(stage.batchSize)
      this.sessionBatch = Math.max(1, Math.min(this.micro, stage.batchSize))
      made = await trainingSession(this.segment, this.headModel, this.threads, this.sessionBatch)
      this.ort = await loadOnnxRuntime()
    } catch (err) {
      return `onnxruntime-node could not start: ${(err as Error).message}`
    }
    if (typeof made === 'string') return made
    const { graph } = made

    // every weight of the segment and the head belongs to exactly one group
    const groupOf = new Map<tf.Variable, number>()
    groups.forEach((g, i) => g.vars.forEach((v) => groupOf.set(v, i)))
    const headVars = headVariables(layers)
    const known = [...graph.segment.params.map((p) => p.variable), ...Object.values(headVars)]
    for (const v of known) if (!groupOf.has(v)) return `the weight ${v.name} trains in the graph but belongs to no group of the stage`
    const inGraph = new Set(known)
    for (const g of groups) for (const v of g.vars) if (!inGraph.has(v)) return `the weight ${v.name} of group ${g.name} is not in the step's graph`

    const kind = stage.optimizer ?? 'adam'
    const slots = OPTIMIZER_SLOTS[kind].length
    const arena = new UpdateArena(known.flatMap((v) => Array<number>(2 + slots).fill(v.size)))
    const param = (variable: tf.Variable, input: string, output: string, shape: number[], decays: boolean, layout: Layout | null): Param => {
      const value = arena.array(variable.size)
      const tfjs = variable.dataSync() as Float32Array
      value.set(layout ? layout.toOnnx(tfjs) : tfjs)
      return { variable, input, output, shape, value, grad: arena.array(variable.size), decays, layout }
    }
    const byVariable = new Map<tf.Variable, Param>()
    graph.segment.params.forEach((p, i) => byVariable.set(p.variable, param(p.variable, p.name, graph.segmentGrads[i]!, p.shape, p.decays, p)))
    this.head = Object.fromEntries(
      HEAD_PARAMS.map((p) => {
        const made = param(headVars[p], headInput(p), headGrad(p), paramShape(p, layers.dims), /kernel/.test(p), null)
        byVariable.set(headVars[p], made)
        return [p, made]
      })
    ) as Record<HeadParam, Param>
    this.groupParams = groups.map((g) => g.vars.map((v) => byVariable.get(v)!))
    this.optimizers = groups.map((g, i) => new OptimizerState(kind, g.vars, arena, this.groupParams[i]!.map((p) => p.layout)))
    for (const [i, o] of this.optimizers.entries()) await o.load(optimizers[i]!)

    const running = (layer: tf.layers.Layer, batchMean: string, batchVariance: string): Running => {
      const [mean, variance] = layer.nonTrainableWeights.map((w) => (w.read().dataSync() as Float32Array).slice())
      return { layer, mean: mean!, variance: variance!, momentum: config(layer).momentum ?? 0.99, batchMean, batchVariance }
    }
    this.running = graph.segment.batchStats.map((s, i) => running(s.layer, graph.segmentStats[i]!.mean, graph.segmentStats[i]!.variance))
    this.headRunning = { bn1: running(layers.bn1, headBatchStat('bn1_mean'), headBatchStat('bn1_var')), bn2: running(layers.bn2, headBatchStat('bn2_mean'), headBatchStat('bn2_var')) }
    this.dims = { ...layers.dims, rates: layers.rates }
    this.session = made.session
    this.graph = graph
    this.scratch = null
    this.inferenceStale = true
    return null
  }

  async step(batch: StepBatch): Promise<number> {
    const { session, ort, dims } = this.ready()
    const t0 = performance.now()
    const labels = (await batch.labels.data()) as Int32Array
    const x = (await batch.x.data()) as Float32Array
    const n = labels.length
    const perImage = x.length / n
    const example = batch.x.shape.slice(1)
    const target = lossTargets(labels, dims.classes, batch.classWeights)
    const params = this.groupParams.flat()
    const t = (data: Float32Array, shape: number[]): Ort.Tensor => new ort.Tensor('float32', data, shape)
    let inputsMs = performance.now() - t0
    let runMs = 0
    let loss = 0
    // trainStep's micro-batches: each draws its masks from seed + its start, and its batch norms
    // see (and update the running statistics from) its own statistics
    const micro = Math.min(this.micro, n)
    for (const [start, end] of batchBounds(n, micro)) {
      const t1 = performance.now()
      const size = end - start
      const seed = batch.seed + start
      let k = 0
      const mask = (rate: number, width: number): Float32Array => dropoutMask(size, width, rate, rate > 0 ? seed + k++ : 0)
      const feeds: Record<string, Ort.Tensor> = {
        x: t(x.subarray(start * perImage, (start + size) * perImage), [size, ...example]),
        target: t(target.subarray(start * dims.classes, (start + size) * dims.classes), [size, dims.classes]),
        mask1: t(mask(dims.rates[0], dims.features), [size, dims.features]),
        mask2: t(mask(dims.rates[1], dims.hidden), [size, dims.hidden])
      }
      const first = start === 0
      const fetches: Record<string, Ort.Tensor | null> = { loss: null }
      for (const r of this.allRunning()) {
        fetches[r.batchMean] = null
        fetches[r.batchVariance] = null
      }
      for (const p of params) {
        feeds[p.input] = t(p.value, p.shape)
        fetches[p.output] = t(first ? p.grad : this.scratchFor(p), p.shape)
      }
      const t2 = performance.now()
      const out = await (size === this.sessionBatch ? session : await this.sessionFor(size)).run(feeds, fetches)
      const t3 = performance.now()
      if (!first) for (const p of params) addInto(p.grad, this.scratchFor(p))
      this.timings.accumulateMs += performance.now() - t3
      loss += (out.loss!.data as Float32Array)[0]!
      for (const r of this.allRunning()) {
        movingAverage(r.mean, out[r.batchMean]!.data as Float32Array, r.momentum)
        movingAverage(r.variance, out[r.batchVariance]!.data as Float32Array, r.momentum)
      }
      for (const v of Object.values(out)) v.dispose() // drops ONNX Runtime's references; the arrays stay ours
      inputsMs += t2 - t1
      runMs += t3 - t2
      this.timings.runs++
    }
    const t4 = performance.now()
    // each group at its own rate, then decoupled weight decay on its kernels
    this.optimizers.forEach((o, i) => o.step(this.groupParams[i]!, batch.rates[i]!, batch.weightDecay))
    this.timings.steps++
    this.inferenceStale = true
    this.unwritten = true
    this.timings.inputsMs += inputsMs
    this.timings.runMs += runMs
    this.timings.updateMs += performance.now() - t4
    return loss
  }

  async sync(optimizers: tf.Optimizer[]): Promise<void> {
    this.ready()
    const started = performance.now()
    this.writeWeights()
    for (const [i, o] of this.optimizers.entries()) await o.store(optimizers[i]!)
    this.timings.syncMs += performance.now() - started
  }

  /** Logits [n * classes] of a batch with the engine's current weights, in inference mode. */
  async predict(x: tf.Tensor): Promise<Float32Array> {
    const { ort, dims } = this.ready()
    const started = performance.now()
    const session = await this.inferenceSession()
    const n = x.shape[0]!
    const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', (await x.data()) as Float32Array, x.shape) })
    const logits = (out[session.outputNames[0]!]!.data as Float32Array).slice(0, n * dims.classes)
    for (const v of Object.values(out)) v.dispose()
    this.timings.predictMs += performance.now() - started
    return logits
  }

  /** The inference session of the weights and running statistics the last step left, made when
   * a validation first needs it: they go into the TF.js variables (as `sync` puts them, without
   * the optimizer state) and the exporter writes the network with them as constants, which ONNX
   * Runtime then folds and fuses (batch norms into convolutions, its NCHWc kernels throughout).
   * Feeding the weights to a graph with weights as inputs (the step's form) cost 16 ms per image
   * on the whole MobileNetV2 against 5 for this, and its conversion and session 0.2 s per epoch
   * (2026-12-02, 2 threads, quiet). */
  private inferenceSession(): Promise<Ort.InferenceSession> {
    if (this.inference && !this.inferenceStale) return this.inference
    const { ort } = this.ready()
    const previous = this.inference
    if (previous) {
      this.sessions.inferenceReleased++
      void previous.then((s) => s.release()).catch(() => {})
    }
    // TF.js's variables are the weights outside the steps (after the stage, a caller may have put
    // others there): only the steps' own go in
    if (this.unwritten) this.writeWeights()
    const net = (this.validationNet ??= validationNetwork(this.segment, this.headModel))
    this.inference = tfjsToOnnx(net).then((bytes) => ort.InferenceSession.create(bytes, sessionOptions(this.threads)))
    this.sessions.inferenceBuilt++
    this.inferenceStale = false
    return this.inference
  }

  /** Frees the inference session and the validation network (the stage is over). */
  async release(): Promise<void> {
    const previous = this.inference
    this.inference = null
    // drops the network's references only (its layers are the segment's and the head's): a layer
    // applied in a network is disposed with its last one
    this.validationNet?.dispose()
    this.validationNet = null
    if (previous) {
      this.sessions.inferenceReleased++
      await (await previous).release()
    }
  }

  /** The stage is over (FastStep.end): its inference session goes. The training session stays
   * cached for the segment's next stage (releaseSegmentSessions frees it with the segment);
   * `predict` after the stage builds a new inference session, for the caller to release. */
  async end(): Promise<void> {
    await this.release()
  }

  /** The weights and running statistics into their TF.js variables. */
  private writeWeights(): void {
    // assign shares the new tensor's data with the variable: tidy frees the temporaries' handles
    tf.tidy(() => {
      for (const p of this.groupParams.flat()) p.variable.assign(tf.tensor(p.layout ? p.layout.fromOnnx(p.value) : p.value.slice(), p.variable.shape))
      for (const r of this.allRunning()) {
        const [mean, variance] = r.layer.nonTrainableWeights
        mean!.write(tf.tensor(r.mean.slice(), mean!.read().shape))
        variance!.write(tf.tensor(r.variance.slice(), variance!.read().shape))
      }
    })
    this.unwritten = false
  }

  private allRunning(): Running[] {
    return [...this.running, this.headRunning!.bn1, this.headRunning!.bn2]
  }

  private scratchFor(p: Param): Float32Array {
    this.scratch ??= new Map()
    let s = this.scratch.get(p)
    if (!s) this.scratch.set(p, (s = new Float32Array(p.grad.length)))
    return s
  }

  /** Images per graph run for a stage's batches: a size asked for (ThawGroups.microBatch) as it
   * is; the engine's own splits a full batch evenly within its bound (32 at most 9: 4 runs of 8,
   * not 9 + 9 + 9 + 5), so full batches run one graph size (one session, segmentGraph.ts builds
   * the graph per size) in as few runs. */
  stageMicroBatch(batchSize: number): number {
    if (this.parts.microBatch !== undefined) return this.microBatch
    return Math.ceil(batchSize / Math.ceil(batchSize / this.microBatch))
  }

  /** The training session for a micro-batch of another size than the stage's (a last, smaller
   * batch): the same graph built for that size, made once and kept with the segment's. */
  private async sessionFor(size: number): Promise<Ort.InferenceSession> {
    const made = await trainingSession(this.segment, this.headModel, this.threads, size)
    if (typeof made === 'string') throw new Error(`internal: the step graph for ${size} images: ${made}`)
    return made.session
  }

  private ready() {
    if (!this.session || !this.ort || !this.graph || !this.head || !this.dims) throw new Error('internal: OnnxThawStep used before begin')
    return { session: this.session, ort: this.ort, dims: this.dims }
  }
}

function addInto(sum: Float32Array, more: Float32Array): void {
  for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + more[i]!
}
