import * as tf from '@tensorflow/tfjs'
import type { Plan } from '../../shared/plan'
import type { EpochMetrics, TrainReport } from '../../shared/types'
import { buildSegment, frozenOnlyReason, type LoadedBackbone } from '../backbones'
import type { TaskContext } from '../engine/protocol'
import { engine, frozenParts, projectDb, segment as sharedSegment } from '../engine/runtime'
import type { ActivationSetKey } from '../precompute/activationStore'
import { ThawError } from '../errors'
import { toArtifacts } from './artifacts'
import { deleteCheckpoint, deleteCheckpoints, latestCheckpointState, loadCheckpointWeights, saveCheckpoint, type CheckpointState } from './checkpoint'
import { batchBounds } from './data'
import { labelledSet, trainingProblem } from './dataset'
import { evaluate, fitStage, type Callback, type Evaluation } from './fit'
import { fuseHead, fuseModel } from './fuse'
import { buildHead } from './head'
import { classWeightsFromCounts } from './metrics'
import { saveModel } from './modelStore'
import { datasetDigest } from './datasetDigest'
import { faultAfterCheckpoint } from './faults'
import { makeOptimizer, optimizerState, restoreOptimizer } from './optimizers'
import { predictions, summary } from './report'
import { groupRates } from '../../shared/schedules'
import { backboneForStages } from './ownBackbone'
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

/** Runs a plan stage after stage, checkpointing after every epoch, then keeps the trained network
 * in the project. */
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

async function run(args: TrainArgs, ctx: TaskContext<TrainEvent>, resumeFrom: CheckpointState<TrainArgs> | null): Promise<TrainReport> {
  const backend = await engine()
  const db = projectDb(args.projectDir)
  const data = labelledSet(db)
  const problem = trainingProblem(data)
  if (problem) throw new ThawError('NOT_TRAINABLE', problem)

  const { bb, own } = await backboneForStages(args.backbone, args.plan.stages)
  // the TF.js backbone (null for an imported ONNX one, which only feeds the head), and the copy
  // this run trains in place when a stage thaws
  const tfjsBb = bb.model ? (bb as LoadedBackbone) : null
  const ownModel = own ? bb.model : null
  const segments = new Map<string, tf.LayersModel>()
  const segment = (from: string | null, to: string): tf.LayersModel => {
    if (!tfjsBb) throw new ThawError('BACKBONE_FROZEN_ONLY', frozenOnlyReason(bb.spec) ?? `${bb.spec.id} has no TF.js model`)
    if (!own) return sharedSegment(tfjsBb, from, to)
    const key = `${from}:${to}`
    if (!segments.has(key)) segments.set(key, buildSegment(tfjsBb.model, from, to))
    return segments.get(key)!
  }
  const parts = frozenParts(bb, own, segment)
  const head = buildHead(2 * bb.spec.featureShape[2], data.classes.length, { seed: args.seed })
  const classWeights = classWeightsFromCounts(data.counts)
  const totalBatches = args.plan.stages.reduce((n, s) => n + s.epochs * batchBounds(data.train.length, s.batchSize).length, 0)

  let state: CheckpointState<TrainArgs> = resumeFrom ?? { runId: args.runId, args, stageIndex: 0, epochsDone: 0, stages: [], history: [], batchesDone: 0 }
  let restored: ReturnType<typeof loadCheckpointWeights> | null = null
  if (resumeFrom) {
    restored = loadCheckpointWeights(db, state.runId)
    head.setWeights(restored.head)
    if (ownModel) ownModel.setWeights(restored.backbone)
  }
  const weightsToKeep = (): tf.Tensor[] => [...head.getWeights(), ...(ownModel ? ownModel.getWeights() : [])]
  let best: { loss: number; weights: tf.Tensor[]; evaluation: Evaluation } | null = null
  let last: Evaluation | null = null
  let cancelled = false

  try {
    for (let index = state.stageIndex; index < args.plan.stages.length && !cancelled; index++) {
      const stage = args.plan.stages[index]!
      const started = Date.now()
      const cache = args.stageCaches[index] ?? { key: null }
      const inputs = setupStage(stage, { db, bb, segment, frozen: parts.frozen, head, data, views: args.views, cacheKey: cache.key, ...(cache.reason ? { noCacheReason: cache.reason } : {}) })
      ctx.emit({ kind: 'stage', index, name: stage.name, cache: inputs.cache, note: inputs.note } satisfies TrainEvent)
      const optimizers = groupRates(stage.lr, inputs.model.groups.length).map((lr) => makeOptimizer(stage, lr))
      const resuming = restored && index === state.stageIndex && state.epochsDone > 0
      if (resuming) for (const [g, opt] of optimizers.entries()) await restoreOptimizer(opt, restored!.optimizers[g] ?? [])
      const history: EpochMetrics[] = resuming ? [...state.history] : []
      let runtime = ''

      const callbacks: Callback[] = [
        { afterBatch: (b) => ctx.progress(++state.batchesDone, totalBatches, `${stage.name}: epoch ${b.epoch + 1}/${stage.epochs}`) },
        {
          afterEpoch: async (metrics, evaluation, s) => {
            last = evaluation
            history.push(metrics)
            if (!best || metrics.validLoss < best.loss) {
              if (best) tf.dispose(best.weights)
              best = { loss: metrics.validLoss, weights: weightsToKeep().map((w) => w.clone()), evaluation }
            }
            state = { ...state, stageIndex: index, epochsDone: metrics.epoch, history }
            const opts = await Promise.all(s.optimizers.map((o) => optimizerState(o)))
            try {
              await saveCheckpoint(db, state, { head: head.getWeights(), backbone: ownModel ? ownModel.getWeights() : [], optimizers: opts.map((o) => o.slots) })
            } finally {
              for (const o of opts) o.dispose()
            }
            faultAfterCheckpoint(index, metrics.epoch)
            // announced once it is safe on disk: whoever sees the epoch can rely on resuming from it
            ctx.emit({ kind: 'epoch', stageName: stage.name, metrics } satisfies TrainEvent)
          }
        }
      ]
      try {
        await fitStage(
          {
            stageIndex: index,
            stage,
            model: inputs.model,
            data: inputs.data,
            classes: data.classes,
            classWeights,
            seed: args.seed,
            startEpoch: resuming ? state.epochsDone : 0,
            optimizers,
            signal: ctx.signal,
            yieldEvery: ctx.checkpoint,
            onRuntime: (r) => (runtime = r)
          },
          callbacks
        )
      } catch (err) {
        if (!ctx.signal.aborted) throw err
        cancelled = true
      } finally {
        for (const o of optimizers) o.dispose()
      }
      // resumed after the stage's last epoch (killed before the model was saved): score it again
      if (!last && !cancelled) last = await evaluate(inputs.model, inputs.data, data.classes, 64)
      if (last && history.length) {
        state.stages.push({ name: stage.name, freezeTo: stage.freezeTo, cache: inputs.cache, epochs: history, valid: summary(last), ms: Date.now() - started, ...(runtime ? { runtime } : {}) })
      }
      state = { ...state, stageIndex: index + 1, epochsDone: 0, history: [] }
    }
    if (!last) throw new ThawError('CANCELLED', 'training was cancelled before the first epoch ended; nothing to keep')
    let final: Evaluation = last
    if (cancelled && best) {
      // keep the best weights seen, not those of the interrupted epoch
      const kept = best as { weights: tf.Tensor[]; evaluation: Evaluation }
      head.setWeights(kept.weights.slice(0, head.weights.length))
      if (ownModel) ownModel.setWeights(kept.weights.slice(head.weights.length))
      final = kept.evaluation
    }

    // an imported ONNX backbone is not in the kept network: the head alone is, from pooled
    // features (prediction runs the ONNX file first, engine/onnx/importedClassifier.ts)
    const fused = tfjsBb ? fuseModel(tfjsBb.model, bb.spec, head) : fuseHead(head)
    const artifacts = await toArtifacts(fused)
    fused.dispose() // drops its references only: the layers live on in `head` and the backbone
    const epochs = state.stages.flatMap((s) => s.epochs)
    const report: Omit<TrainReport, 'modelId'> = {
      backend: backend.name,
      backbone: bb.spec.id,
      backboneSha256: bb.source.sha256,
      precompute: args.precompute,
      views: args.views,
      stages: state.stages,
      epochs,
      valid: summary(final),
      msPerEpoch: epochs.length ? epochs.reduce((s, e) => s + e.ms, 0) / epochs.length : 0,
      predictions: predictions(final, data.valid),
      cancelled
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
  } finally {
    await parts.release()
    if (best) tf.dispose((best as { weights: tf.Tensor[] }).weights)
    if (restored) tf.dispose([...restored.head, ...restored.backbone, ...restored.optimizers.flat().map((t) => t.tensor)])
    head.dispose()
    // segments hold references to the layers they share: drop them before the model itself
    for (const seg of segments.values()) seg.dispose()
    ownModel?.dispose()
  }
}
