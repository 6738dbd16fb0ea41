import { describe, expect, it } from 'vitest'
import { interruptedRunText, resumeReplacesNewerModel, showResumeBanner } from '../../../src/renderer/src/lib/interruptedRun'
import type { InterruptedRun } from '../../../src/shared/types'

const run: InterruptedRun = {
  runId: 'r1',
  plan: 'gradual',
  stage: 'last group',
  stageIndex: 1,
  epochsDone: 3,
  stageEpochs: 4,
  stages: 3,
  savedAt: '2025-05-01T10:00:00.000Z'
}

describe('the resume banner', () => {
  it('shows when the project has an interrupted run and no job is running', () => {
    expect(showResumeBanner(run, false)).toBe(true)
    expect(showResumeBanner(run, true)).toBe(false)
    expect(showResumeBanner(null, false)).toBe(false)
    // not asked yet
    expect(showResumeBanner(undefined, false)).toBe(false)
  })

  it('names the plan, the stage and how far it got', () => {
    expect(interruptedRunText(run)).toBe("Training run 'gradual' stopped at stage 'last group' (2 of 3), after epoch 3 of 4.")
    expect(interruptedRunText({ ...run, plan: 'head only', stage: 'head', stageIndex: 0, stages: 1, epochsDone: 0 })).toBe(
      "Training run 'head only' stopped at stage 'head', before the first epoch of that stage ended."
    )
  })

  it('warns when a model trained after the run stopped would be replaced as the current one', () => {
    expect(resumeReplacesNewerModel(run, '2025-05-01T11:00:00.000Z')).toBe(true)
    expect(resumeReplacesNewerModel(run, '2025-05-01T09:00:00.000Z')).toBe(false)
    expect(resumeReplacesNewerModel(run, null)).toBe(false)
    expect(resumeReplacesNewerModel({ ...run, savedAt: '' }, '2025-05-01T11:00:00.000Z')).toBe(false)
  })
})
