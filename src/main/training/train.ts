import { planSchema, type Plan, type PlanInput, type Stage } from '../../shared/plan'
import type { LrFindResult, TrainReport } from '../../shared/types'
import type { EnginePool } from '../engine/pool'
import type { BackboneDescription } from '../engine/tasks/describe'
import type { JobContext } from '../jobs/jobs'
import { activationKey, precompute } from '../precompute/precompute'
import type { Project } from '../project/project'
import type { LrFindArgs } from './lrFindTask'
import type { TrainArgs, TrainEvent } from './runPlan'

export interface TrainOptions {
  backbone: string
  plan: PlanInput
  views: number
  precompute: boolean
  seed: number
}

/** Precompute what the plan needs (a no-op when the cache is complete), then run the plan in
 * the engine worker. */
async function prepare(project: Project, pool: EnginePool, opts: Omit<TrainOptions, 'plan'>, job: JobContext): Promise<BackboneDescription> {
  if (opts.precompute) {
    const r = await precompute(project, pool, { backbone: opts.backbone, views: opts.views }, job)
    if (r.failed.length) job.progress(0, 1, `${r.failed.length} images could not be read and are left out`)
  }
  return pool.run<BackboneDescription>('describe', { backbone: opts.backbone }, { signal: job.signal })
}

export async function train(
  project: Project,
  pool: EnginePool,
  opts: TrainOptions,
  job: JobContext,
  onEvent: (e: TrainEvent) => void
): Promise<TrainReport> {
  const plan: Plan = planSchema.parse(opts.plan)
  const d = await prepare(project, pool, opts, job)
  const args: TrainArgs = {
    projectDir: project.dir,
    backbone: opts.backbone,
    plan,
    views: opts.views,
    precompute: opts.precompute,
    seed: opts.seed,
    featureKey: activationKey(d, d.spec.featureLayer, 'concat-pool')
  }
  return pool.run<TrainReport>('train', args, {
    signal: job.signal,
    onProgress: (done, total, message) => job.progress(done, total, message),
    onEvent: (e) => onEvent(e as TrainEvent)
  })
}

export async function lrFind(
  project: Project,
  pool: EnginePool,
  opts: Omit<TrainOptions, 'plan'> & { stage: Stage },
  job: JobContext
): Promise<LrFindResult> {
  const d = await prepare(project, pool, opts, job)
  const args: LrFindArgs = {
    projectDir: project.dir,
    backbone: opts.backbone,
    stage: opts.stage,
    views: opts.views,
    precompute: opts.precompute,
    featureKey: activationKey(d, d.spec.featureLayer, 'concat-pool')
  }
  return pool.run<LrFindResult>('lrFind', args, { signal: job.signal, onProgress: (done, total, message) => job.progress(done, total, message) })
}
