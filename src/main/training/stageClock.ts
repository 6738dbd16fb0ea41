// Runs in the engine worker. Where a stage's wall time goes (StagePhases), kept apart from the fit
// loop so the loop reads as what it does.
import type { StagePhases } from '../../shared/types'

export type Phase = Exclude<keyof StagePhases, 'epochs' | 'engine'>

export class StageClock {
  readonly phases: StagePhases = { epochs: 0, beginMs: 0, dataMs: 0, stepsMs: 0, validMs: 0, syncMs: 0, callbacksMs: 0 }

  /** `work`'s time, added to `phase` whether it resolves or throws (a function, so that the
   * synchronous part of the work, a TF.js step, is timed too). */
  async time<T>(phase: Phase, work: () => Promise<T> | T): Promise<T> {
    const t = performance.now()
    try {
      return await work()
    } finally {
      this.phases[phase] += performance.now() - t
    }
  }
}
