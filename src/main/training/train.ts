import { randomUUID } from 'node:crypto'
import { planSchema, type PlanInput, type Stage } from '../../shared/plan'
import type { LrFindResult, StageCachePlan, TrainReport } from '../../shared/types'
import type { EnginePool, RunOptions } from '../engine/pool'
import type { JobContext } from '../jobs/jobs'
import type { ActivationSetKey } from '../precompute/activationStore'
import { precompute, wantedViews } from '../precompute/precompute'
import type { Project } from '../project/project'
import { planStageCaches } from './cachePlan'
import type { LrFindArgs } from './lrFindTask'
import type { StageCache, TrainArgs, TrainEvent } from './runPlan'

export interface TrainOptions {
  backbone: string
  plan: PlanInput
  views: number
  precompute: boolean
  seed: number
  /** the run's id (its model record is begun under it); a new one when not given */
  runId?: string
}

/** Where each stage of a plan gets its inputs, and what the caches cost: shown before building. */
export async function estimateCaches(
  project: Project,
  pool: EnginePool,
  opts: Omit<TrainOptions, 'seed'>,
  signal?: AbortSignal
): Promise<(StageCachePlan & { cache: StageCache })[]> {
  const d = await pool.run('describe', { backbone: opts.backbone }, signal ? { signal } : {})
  return planStageCaches(d, planSchema.parse(opts.plan), wantedViews(project, opts.views).length, { precompute: opts.precompute })
}

/** Builds (incrementally: only missing rows) every cache the stages will read. */
async function buildCaches(project: Project, pool: EnginePool, plans: { cache: StageCache }[], opts: Pick<TrainOptions, 'backbone' | 'views'>, job: JobContext): Promise<void> {
  const keys = new Map<string, ActivationSetKey>()
  for (const p of plans) if (p.cache.key) keys.set(`${p.cache.key.layer}:${p.cache.key.reduce}`, p.cache.key)
  for (const key of keys.values()) {
    await precompute(project, pool, { backbone: opts.backbone, views: opts.views, layer: key.layer, reduce: key.reduce }, job)
  }
}

const relay = (job: JobContext, onEvent: (e: TrainEvent) => void): RunOptions<TrainEvent> => ({
  signal: job.signal,
  onProgress: (done, total, message) => job.progress(done, total, message),
  onEvent
})

/** Builds the caches a plan needs, then runs it in the engine worker. */
export async function train(project: Project, pool: EnginePool, opts: TrainOptions, job: JobContext, onEvent: (e: TrainEvent) => void): Promise<TrainReport> {
  const plan = planSchema.parse(opts.plan)
  const stages = await estimateCaches(project, pool, opts, job.signal)
  for (const s of stages) {
    const where = s.cached ? `cache at ${s.boundary} (${(s.bytes / 1e6).toFixed(1)} MB)` : `no cache: ${s.reason}`
    job.progress(0, 1, `stage "${s.stage}": ${where}`)
  }
  await buildCaches(project, pool, stages, opts, job)
  const args: TrainArgs = {
    runId: opts.runId ?? randomUUID(),
    projectDir: project.dir,
    backbone: opts.backbone,
    plan,
    views: opts.views,
    precompute: opts.precompute,
    seed: opts.seed,
    stageCaches: stages.map((s) => s.cache)
  }
  return pool.run('train', args, relay(job, onEvent))
}

/** Continues the project's last interrupted run from its checkpoint. */
export function resumeTraining(project: Project, pool: EnginePool, job: JobContext, onEvent: (e: TrainEvent) => void): Promise<TrainReport> {
  return pool.run('resume', { projectDir: project.dir }, relay(job, onEvent))
}

export async function lrFind(
  project: Project,
  pool: EnginePool,
  opts: Omit<TrainOptions, 'plan' | 'seed'> & { stage: Stage; steps: number },
  job: JobContext
): Promise<LrFindResult> {
  const [plan] = await estimateCaches(project, pool, { ...opts, plan: { stages: [opts.stage] } }, job.signal)
  // the sweep may wait minutes for its cache: say so, rather than a bare precompute message
  const building: JobContext = { ...job, progress: (done, total, message) => job.progress(done, total, message ? `building the cache for the sweep: ${message}` : '') }
  await buildCaches(project, pool, [plan!], opts, building)
  const args: LrFindArgs = { projectDir: project.dir, backbone: opts.backbone, stage: opts.stage, views: opts.views, cache: plan!.cache, steps: opts.steps }
  return pool.run('lrFind', args, { signal: job.signal, onProgress: (done, total, message) => job.progress(done, total, message) })
}
