// The "resume an interrupted run" banner as data: when it shows and what it says. Pure, so the
// tests cover what an e2e test cannot stage cheaply (a run needs a killed engine to be interrupted).
import type { InterruptedRun } from '../../../shared/types'

/** The banner shows when the project has an interrupted run and no job is running (in this window
 * or elsewhere: the studio would refuse the resume, or the run shown may be the one running). */
export function showResumeBanner(run: InterruptedRun | null | undefined, jobRunning: boolean): run is InterruptedRun {
  return !!run && !jobRunning
}

/** "Training run 'gradual' stopped at stage 'last group' (2 of 3), after epoch 3 of 4." */
export function interruptedRunText(run: InterruptedRun): string {
  const stage = run.stages > 1 ? `stage '${run.stage}' (${run.stageIndex + 1} of ${run.stages})` : `stage '${run.stage}'`
  const epoch = run.epochsDone > 0 ? `after epoch ${run.epochsDone} of ${run.stageEpochs}` : 'before the first epoch of that stage ended'
  return `Training run '${run.plan}' stopped at ${stage}, ${epoch}.`
}

/** Resuming saves a new model, which becomes the project's model: say so when the model there now
 * was trained after this run stopped (a later run finished while this one's checkpoint stayed). */
export function resumeReplacesNewerModel(run: InterruptedRun, modelCreatedAt: string | null | undefined): boolean {
  if (!modelCreatedAt) return false
  const saved = Date.parse(run.savedAt)
  const model = Date.parse(modelCreatedAt)
  return Number.isFinite(saved) && Number.isFinite(model) && model > saved
}
