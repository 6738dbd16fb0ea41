import path from 'node:path'
import { headOnlyPlan, stageSchema } from '../../../shared/plan'
import type { InterruptedRun, ModelSummary, TrainReport } from '../../../shared/types'
import { checkpointTime, deleteCheckpoints, latestCheckpointState } from '../../training/checkpointRows'
import { excludedIds, reportWithoutExcluded } from '../../training/excludedMetrics'
import { modelMeta } from '../../training/modelStore'
import type { TrainArgs } from '../../training/runPlan'
import { estimateCaches, lrFind } from '../../training/train'
import type { PredictArgs } from '../../training/predictTask'
import { ThawError } from '../../errors'
import { existingAutoTrainer } from '../autoTrain'
import type { Handlers } from '../context'
import { projectBackbone } from './engine'
import { runTraining } from './runTraining'

export const trainingHandlers = {
  train: ({ plan, epochs, lr, precompute, views, seed, backbone, resume }, s) => {
    const project = s.project()
    const opts = { backbone: projectBackbone(project, backbone), plan: plan ?? headOnlyPlan(epochs, lr), views, precompute, seed }
    // a run the user asked for comes first: a train-while-labeling run in progress gives way
    const auto = existingAutoTrainer(s)
    const start = (): Promise<TrainReport> =>
      s.jobs.run('train', (job) => runTraining(s, project, job, resume ? { resume: true } : { resume: false, opts, auto: false }), {
        exclusive: ['precompute', 'lr-find']
      })
    return auto ? auto.yieldToUser().then(start) : start()
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
    const db = s.project().db
    const meta = modelMeta(db)
    if (!meta) return null
    // top losses, the confusion matrix and the metrics leave out the images excluded since
    const report = reportWithoutExcluded(meta.report as TrainReport, excludedIds(db))
    const importedOnnx = (meta.report as { spec?: { source?: { kind?: string } } }).spec?.source?.kind === 'onnx'
    return { ...report, modelId: meta.id, createdAt: meta.createdAt, classes: meta.classes, plan: meta.plan, ...(importedOnnx ? { importedOnnx } : {}) }
  },
  predict: ({ paths, modelId }, s) => {
    const project = s.project()
    if (!modelMeta(project.db, modelId)) throw new ThawError('NO_MODEL', 'this project has no trained model yet: train one first (thaw train <project>)')
    const args: PredictArgs = { projectDir: project.dir, paths: paths.map((p) => path.resolve(p)), ...(modelId === undefined ? {} : { modelId }) }
    return s.engine().run('predict', args)
  }
} satisfies Partial<Handlers>
