import path from 'node:path'
import { headOnlyPlan, stageSchema } from '../../../shared/plan'
import type { ModelSummary, TrainReport } from '../../../shared/types'
import { modelMeta } from '../../training/modelStore'
import { lrFind, train } from '../../training/train'
import type { PredictArgs } from '../../training/predictTask'
import type { Handlers } from '../context'
import { projectBackbone } from './engine'

export const trainingHandlers = {
  train: ({ plan, epochs, lr, precompute, views, seed, backbone }, s) => {
    const project = s.project()
    const opts = { backbone: projectBackbone(project, backbone), plan: plan ?? headOnlyPlan(epochs, lr), views, precompute, seed }
    return s.jobs.run(
      'train',
      (job) =>
        train(project, s.engine(), opts, job, (e) => {
          if (e.kind === 'epoch') s.emit('trainEpoch', { jobId: job.id, stageName: e.stageName, metrics: e.metrics })
        }),
      { exclusive: ['precompute', 'lr-find'] }
    )
  },
  lrFind: ({ stage, precompute, views, backbone }, s) => {
    const project = s.project()
    const opts = { backbone: projectBackbone(project, backbone), precompute, views, seed: 0, stage: stage ?? stageSchema.parse({ epochs: 1, lr: 1e-3 }) }
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
