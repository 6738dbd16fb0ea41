import path from 'node:path'
import { headOnlyPlan, stageSchema } from '../../../shared/plan'
import type { InterruptedRun, ModelSummary, TrainReport } from '../../../shared/types'
import { checkpointTime, deleteCheckpoints, latestCheckpointState } from '../../training/checkpointRows'
import { modelMeta } from '../../training/modelStore'
import type { TrainArgs, TrainEvent } from '../../training/runPlan'
import { estimateCaches, lrFind, resumeTraining, train } from '../../training/train'
import type { PredictArgs } from '../../training/predictTask'
import type { Handlers } from '../context'
import { projectBackbone, rememberBackbone } from './engine'

export const trainingHandlers = {
  train: ({ plan, epochs, lr, precompute, views, seed, backbone, resume }, s) => {
    const project = s.project()
    const opts = { backbone: projectBackbone(project, backbone), plan: plan ?? headOnlyPlan(epochs, lr), views, precompute, seed }
    return s.jobs.run(
      'train',
      async (job) => {
        const onEvent = (e: TrainEvent): void => {
          if (e.kind === 'epoch') s.emit('trainEpoch', { jobId: job.id, stageName: e.stageName, metrics: e.metrics })
          else s.emit('trainStage', { jobId: job.id, index: e.index, name: e.name, cache: e.cache, note: e.note })
        }
        if (resume) return resumeTraining(project, s.engine(), job, onEvent)
        const report = await train(project, s.engine(), opts, job, onEvent)
        rememberBackbone(s, project, opts.backbone)
        return report
      },
      { exclusive: ['precompute', 'lr-find'] }
    )
  },
  estimateCaches: async ({ plan, precompute, views, backbone }, s) => {
    const project = s.project()
    const stages = await estimateCaches(project, s.engine(), { backbone: projectBackbone(project, backbone), plan, views, precompute })
    return stages.map(({ cache: _cache, ...rest }) => rest)
  },
  interruptedRun: (_args, s): InterruptedRun | null => {
    const state = latestCheckpointState<TrainArgs>(s.project().db)
    if (!state) return null
    const stage = state.args.plan.stages[Math.min(state.stageIndex, state.args.plan.stages.length - 1)]!
    return {
      runId: state.runId,
      plan: state.args.plan.name,
      stage: stage.name,
      stageIndex: state.stageIndex,
      epochsDone: state.epochsDone,
      stageEpochs: stage.epochs,
      stages: state.args.plan.stages.length,
      savedAt: checkpointTime(s.project().db, state.runId)
    }
  },
  discardInterruptedRun: (_args, s) => ({ discarded: deleteCheckpoints(s.project().db) }),
  lrFind: ({ stage, precompute, views, backbone, steps }, s) => {
    const project = s.project()
    const opts = { backbone: projectBackbone(project, backbone), precompute, views, steps, stage: stage ?? stageSchema.parse({ epochs: 1, lr: 1e-3 }) }
    return s.jobs.run('lr-find', (job) => lrFind(project, s.engine(), opts, job), { exclusive: ['precompute', 'train'] })
  },
  currentModel: (_args, s): ModelSummary | null => {
    const meta = modelMeta(s.project().db)
    if (!meta) return null
    return { ...(meta.report as TrainReport), modelId: meta.id, createdAt: meta.createdAt, classes: meta.classes, plan: meta.plan }
  },
  predict: ({ paths }, s) => {
    const args: PredictArgs = { projectDir: s.project().dir, paths: paths.map((p) => path.resolve(p)) }
    return s.engine().run('predict', args)
  }
} satisfies Partial<Handlers>
