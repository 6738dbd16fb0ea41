import { randomUUID } from 'node:crypto'
import type { TrainReport } from '../../../shared/types'
import type { JobContext } from '../../jobs/jobs'
import type { Project } from '../../project/project'
import { latestCheckpointState } from '../../training/checkpointRows'
import { beginRun, continueRun, dropEmptyRun, keepLatestAutoRun } from '../../training/modelStore'
import { predictAll } from '../../training/predictAll'
import type { TrainArgs, TrainEvent } from '../../training/runPlan'
import { resumeTraining, train, type TrainOptions } from '../../training/train'
import type { StudioContext } from '../context'
import { rememberBackbone } from './engine'

export type TrainingRequest = { resume: true } | { resume: false; opts: TrainOptions; auto: boolean }

/** One training run as a numbered model record: begun before the run (so a killed run leaves its
 * trace), filled in by the engine when it keeps weights, forgotten if it kept nothing. After a
 * finished run every usable image is scored with the new model, for the library and comparisons. */
export async function runTraining(s: StudioContext, project: Project, job: JobContext, req: TrainingRequest): Promise<TrainReport> {
  const onEvent = (e: TrainEvent): void => {
    if (e.kind === 'epoch') s.emit('trainEpoch', { jobId: job.id, stageName: e.stageName, metrics: e.metrics })
    else s.emit('trainStage', { jobId: job.id, index: e.index, name: e.name, cache: e.cache, note: e.note })
  }
  let runId: string
  if (req.resume) {
    const state = latestCheckpointState<TrainArgs>(project.db)
    runId = state?.runId ?? ''
    if (state) {
      const { args } = state
      continueRun(project.db, { runId, backbone: args.backbone, plan: args.plan, seed: args.seed, views: args.views }, { stageIndex: state.stageIndex, epochsDone: state.epochsDone })
    }
  } else {
    runId = randomUUID()
    const { opts } = req
    beginRun(project.db, { runId, backbone: opts.backbone, plan: opts.plan, seed: opts.seed, views: opts.views, auto: req.auto })
  }
  s.emit('modelsChanged', { reason: 'started' })
  let report: TrainReport
  try {
    report = req.resume ? await resumeTraining(project, s.engine(), job, onEvent) : await train(project, s.engine(), { ...req.opts, runId }, job, onEvent)
  } catch (err) {
    if (runId) dropEmptyRun(project.db, runId)
    s.emit('modelsChanged', { reason: 'failed' })
    throw err
  }
  if (!req.resume) rememberBackbone(s, project, req.opts.backbone)
  if (!req.resume && req.auto) keepLatestAutoRun(project.db)
  s.emit('modelsChanged', { reason: 'kept' })
  if (!job.signal.aborted) {
    try {
      const scored = await predictAll(project, s.engine(), { modelId: report.modelId, withPredictions: false }, job)
      if (scored.computed > 0) s.emit('predictionsChanged', { modelId: report.modelId })
    } catch {
      // the model is kept whatever happens here; the library scores it again on demand
    }
  }
  return report
}
