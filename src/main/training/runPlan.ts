import type { Plan } from '../../shared/plan'
import type { TaskContext } from '../engine/protocol'
import { backbone, engine, projectDb, segment } from '../engine/runtime'
import type { ActivationSetKey } from '../precompute/activationStore'
import { labelledSet, trainingProblem } from './dataset'
import { fitStage, type Callback, type EpochMetrics, type Evaluation } from './fit'
import { fuseModel } from './fuse'
import { buildHead } from './head'
import { classWeightsFromCounts } from './metrics'
import { toArtifacts } from './artifacts'
import { saveModel } from './modelStore'
import type { StageReport, TrainReport } from '../../shared/types'
import { predictions, summary } from './report'
import { batchBounds } from './data'
import { setupStage } from './stageSetup'

export interface TrainArgs {
  projectDir: string
  backbone: string
  plan: Plan
  views: number
  precompute: boolean
  seed: number
  featureKey: ActivationSetKey
}

/** Events a training run sends while it runs, for live curves. */
export type TrainEvent = { kind: 'epoch'; stageName: string; metrics: EpochMetrics } | { kind: 'stage'; index: number; name: string }

/** Runs a plan, stage after stage, then keeps the trained network in the project. */
export async function runPlan(args: TrainArgs, ctx: TaskContext): Promise<TrainReport> {
  const backend = await engine()
  const bb = await backbone(args.backbone)
  const db = projectDb(args.projectDir)
  const data = labelledSet(db)
  const problem = trainingProblem(data)
  if (problem) throw new Error(problem)

  const trunk = segment(bb, null, bb.spec.featureLayer)
  const channels = bb.spec.featureShape[2]
  const head = buildHead(2 * channels, data.classes.length)
  const classWeights = classWeightsFromCounts(data.counts)
  const totalBatches = args.plan.stages.reduce((n, s) => n + s.epochs * batchBounds(data.train.length, s.batchSize).length, 0)
  let batchesDone = 0
  const stages: StageReport[] = []
  let last: Evaluation | null = null
  let cancelled = false

  try {
    for (const [index, stage] of args.plan.stages.entries()) {
      ctx.emit({ kind: 'stage', index, name: stage.name } satisfies TrainEvent)
      const started = Date.now()
      const inputs = setupStage(stage, { db, bb, trunk, head, data, views: args.views, precompute: args.precompute, featureKey: args.featureKey })
      const callbacks: Callback[] = [
        { afterBatch: (b) => ctx.progress(++batchesDone, totalBatches, `${stage.name}: epoch ${b.epoch + 1}/${stage.epochs}`) },
        {
          afterEpoch: (metrics, evaluation) => {
            last = evaluation
            ctx.emit({ kind: 'epoch', stageName: stage.name, metrics } satisfies TrainEvent)
          }
        }
      ]
      let history: EpochMetrics[] = []
      try {
        history = await fitStage(
          { stageIndex: index, stage, model: inputs.model, data: inputs.data, classes: data.classes, classWeights, seed: args.seed, signal: ctx.signal, yieldEvery: ctx.checkpoint },
          callbacks
        )
      } catch (err) {
        if (!ctx.signal.aborted) throw err
        cancelled = true
      }
      if (last) stages.push({ name: stage.name, freezeTo: stage.freezeTo, cache: inputs.cache, epochs: history, valid: summary(last), ms: Date.now() - started })
      if (cancelled) break
    }
    const final = last as Evaluation | null
    if (!final) throw new Error('training was cancelled before the first epoch ended; nothing to keep')

    const fused = fuseModel(bb.model, bb.spec, head)
    const artifacts = await toArtifacts(fused)
    fused.dispose()
    const epochs = stages.flatMap((s) => s.epochs)
    const report: Omit<TrainReport, 'modelId'> = {
      backend: backend.name,
      backbone: bb.spec.id,
      backboneSha256: bb.source.sha256,
      precompute: args.precompute,
      views: args.views,
      stages,
      epochs,
      valid: summary(final),
      msPerEpoch: epochs.length ? epochs.reduce((s, e) => s + e.ms, 0) / epochs.length : 0,
      predictions: predictions(final, data.valid),
      cancelled
    }
    const modelId = saveModel(
      db,
      { backbone: bb.spec.id, backboneSha256: bb.source.sha256, classes: data.classes, plan: args.plan, report: { ...report, spec: bb.spec } },
      artifacts
    )
    return { ...report, modelId }
  } finally {
    head.dispose()
  }
}
