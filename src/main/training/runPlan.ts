import * as tf from '@tensorflow/tfjs'
import type { Plan } from '../../shared/plan'
import type { EpochMetrics, StagePhases, TrainReport } from '../../shared/types'
import type { TaskContext } from '../engine/protocol'
import { engine, projectDb } from '../engine/runtime'
import type { ActivationSetKey } from '../precompute/activationStore'
import type { Db } from '../store/db'
import { ThawError } from '../errors'
import { toArtifacts } from './artifacts'
import { BestWeights } from './callbacks/bestWeights'
import type { Callback } from './callbacks/callback'
import { Checkpoint } from './callbacks/checkpoint'
import { EarlyStopping, stopsEarly } from './callbacks/earlyStopping'
import { Progress } from './callbacks/progress'
import { Recorder } from './callbacks/recorder'
import { deleteCheckpoint, deleteCheckpoints, latestCheckpointState, loadCheckpointWeights, type CheckpointState, type CheckpointWeights } from './checkpoint'
import { datasetDigest } from './data/datasetDigest'
import { batchBounds } from './data/fitData'
import { labelledSet, trainingProblem, type LabelledSet } from './data/labelledSet'
import { fitStage, type Evaluation } from './fit'
import { fuseHead, fuseModel } from './fuse'
import { classWeightsFromCounts } from './metrics'
import { saveModel } from './modelStore'
import { Network } from './network'
import { makeOptimizer, restoreOptimizer } from './optimizers'
import { predictions, summary } from './report'
import { groupRates } from '../../shared/schedules'
import { setupStage } from './stageSetup'

export interface StageCache {
  /** the activations a stage reads; null: computed from the images every epoch */
  key: ActivationSetKey | null
  /** why there is no cache (over the disk budget, precompute off...) */
  reason?: string
}

export interface TrainArgs {
  runId: string
  projectDir: string
  backbone: string
  plan: Plan
  views: number
  precompute: boolean
  seed: number
  stageCaches: StageCache[]
}

/** Events a training run sends while it runs, for live curves. */
export type TrainEvent =
  | { kind: 'epoch'; stageName: string; metrics: EpochMetrics }
  | { kind: 'stage'; index: number; name: string; cache: string; note: string | null }

/** Runs a plan stage after stage, checkpointing as it goes (callbacks/checkpoint.ts says when),
 * then keeps the trained network in the project. */
export function runPlan(args: TrainArgs, ctx: TaskContext<TrainEvent>): Promise<TrainReport> {
  // a new run supersedes any interrupted one: only the newest can be resumed
  deleteCheckpoints(projectDb(args.projectDir))
  return run(args, ctx, null)
}

/** Resumes the project's last interrupted run where its last checkpoint left it. */
export function resumePlan(args: { projectDir: string }, ctx: TaskContext<TrainEvent>): Promise<TrainReport> {
  const state = latestCheckpointState<TrainArgs>(projectDb(args.projectDir))
  if (!state) throw new ThawError('NO_CHECKPOINT', 'there is no interrupted training run to resume in this project: start one with "thaw train"')
  return run(state.args, ctx, state)
}

/** The Learner: the network, the data and the callbacks, then the plan stage after stage; the
 * network is kept as a model unless nothing was learnt. Everything else is a callback. */
async function run(args: TrainArgs, ctx: TaskContext<TrainEvent>, resumeFrom: CheckpointState<TrainArgs> | null): Promise<TrainReport> {
  const backend = await engine()
  const db = projectDb(args.projectDir)
  const data = labelledSet(db)
  const problem = trainingProblem(data)
  if (problem) throw new ThawError('NOT_TRAINABLE', problem)

  const net = await Network.open(args.backbone, args.plan.stages, data.classes.length, args.seed)
  const restored = resumeFrom ? loadCheckpointWeights(db, resumeFrom.runId) : null
  const recorder = new Recorder(resumeFrom ?? { runId: args.runId, args, stageIndex: 0, epochsDone: 0, stages: [], history: [], batchesDone: 0 })
  const best = new BestWeights(net.weights)
  const totalBatches = args.plan.stages.reduce((n, s) => n + s.epochs * batchBounds(data.train.length, s.batchSize).length, 0)
  const progress = new Progress(ctx, args.plan.stages, recorder, totalBatches)
  // in this order: the record first (the others read it), the checkpoint before anyone hears of the epoch
  const callbacks: Callback[] = [recorder, best, new Checkpoint(db, recorder, net.trainedWeights), progress, new EarlyStopping(recorder)]
  try {
    if (restored) net.setTrainedWeights(restored)
    let cancelled = false
    for (let index = recorder.state.stageIndex; index < args.plan.stages.length && !cancelled; index++) {
      cancelled = await runStage(index, { args, ctx, db, net, data, recorder, progress, callbacks, restored })
    }
    // a cancelled run keeps the best weights seen, not those of the interrupted epoch
    const final = (cancelled ? best.restore(net.setWeights) : null) ?? recorder.last
    if (!final) throw new ThawError('CANCELLED', 'training was cancelled before the first epoch ended; nothing to keep')
    return await keepModel(db, net, args, data, recorder.state, final, { backend: backend.name, cancelled })
  } finally {
    best.dispose()
    if (restored) tf.dispose([...restored.head, ...restored.backbone, ...restored.optimizers.flat().map((t) => t.tensor)])
    await net.dispose()
  }
}

interface StageRun {
  args: TrainArgs
  ctx: TaskContext<TrainEvent>
  db: Db
  net: Network
  data: LabelledSet
  recorder: Recorder
  progress: Progress
  callbacks: Callback[]
  /** the checkpoint a resumed run starts from */
  restored: CheckpointWeights | null
}

/** One stage: what it trains and reads, each group's optimizer (restored when the stage resumes),
 * the fit loop. Returns whether the run was cancelled during it. */
async function runStage(index: number, r: StageRun): Promise<boolean> {
  const { args, recorder } = r
  const stage = args.plan.stages[index]!
  const started = Date.now()
  const cache = args.stageCaches[index] ?? { key: null }
  const { net, db, data } = r
  const inputs = setupStage(stage, { db, bb: net.bb, segment: net.segment, frozen: net.frozen, head: net.head, data, views: args.views, cacheKey: cache.key, ...(cache.reason ? { noCacheReason: cache.reason } : {}) })
  r.progress.stageStarted(index, inputs.cache, inputs.note)
  const optimizers = groupRates(stage.lr, inputs.model.groups.length).map((lr) => makeOptimizer(stage, lr))
  // the checkpoint's optimizer state belongs to the stage it interrupted
  const resumed = index === recorder.state.stageIndex && recorder.state.epochsDone > 0 ? r.restored : null
  if (resumed) for (const [g, opt] of optimizers.entries()) await restoreOptimizer(opt, resumed.optimizers[g] ?? [])
  const resuming = resumed !== null
  recorder.beginStage(resuming)
  // a stage that had stopped early before the interruption stays stopped
  const startEpoch = !resuming ? 0 : stopsEarly(recorder.stageHistory, stage.patience) ? stage.epochs : recorder.state.epochsDone
  let runtime = ''
  let phases: StagePhases | null = null
  let cancelled = false
  try {
    const fit = { stageIndex: index, stage, model: inputs.model, data: inputs.data, classes: data.classes, seed: args.seed, optimizers }
    await fitStage(
      { ...fit, classWeights: classWeightsFromCounts(data.counts), startEpoch, signal: r.ctx.signal, yieldEvery: r.ctx.checkpoint, onRuntime: (rt) => (runtime = rt), onPhases: (p) => (phases = p) },
      r.callbacks
    )
  } catch (err) {
    if (!r.ctx.signal.aborted) throw err
    cancelled = true
  } finally {
    for (const o of optimizers) o.dispose()
  }
  recorder.endStage(index, { name: stage.name, freezeTo: stage.freezeTo, cache: inputs.cache, ms: Date.now() - started, runtime, phases })
  return cancelled
}

/** The trained network as a model of the project (the run's checkpoint goes: nothing is left to resume). */
async function keepModel(
  db: Db,
  net: Network,
  args: TrainArgs,
  data: LabelledSet,
  state: CheckpointState<TrainArgs>,
  final: Evaluation,
  how: { backend: string; cancelled: boolean }
): Promise<TrainReport> {
  const { bb } = net
  // an imported ONNX backbone is not in the kept network: the head alone is, from pooled
  // features (prediction runs the ONNX file first: importedClassifier.ts)
  const fused = bb.model ? fuseModel(bb.model, bb.spec, net.head) : fuseHead(net.head)
  const artifacts = await toArtifacts(fused)
  fused.dispose() // drops its references only: the layers live on in the head and the backbone
  const epochs = state.stages.flatMap((s) => s.epochs)
  const report: Omit<TrainReport, 'modelId'> = {
    backend: how.backend,
    backbone: bb.spec.id,
    backboneSha256: bb.source.sha256,
    precompute: args.precompute,
    views: args.views,
    stages: state.stages,
    epochs,
    valid: summary(final),
    msPerEpoch: epochs.length ? epochs.reduce((s, e) => s + e.ms, 0) / epochs.length : 0,
    predictions: predictions(final, data.valid),
    cancelled: how.cancelled
  }
  const modelId = saveModel(
    db,
    {
      backbone: bb.spec.id,
      backboneSha256: bb.source.sha256,
      classes: data.classes,
      plan: args.plan,
      report: { ...report, spec: bb.spec },
      run: { runId: state.runId, seed: args.seed, views: args.views, datasetSha256: datasetDigest(data) }
    },
    artifacts
  )
  deleteCheckpoint(db, state.runId)
  return { ...report, modelId }
}
