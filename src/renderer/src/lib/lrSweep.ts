// How long an LR-finder sweep is for a stage. A step of a stage that thaws backbone groups runs
// those groups forward and backward, which takes far longer than a step of the head alone, so such
// a stage gets a shorter (coarser) sweep; the head keeps the studio's default of 100 steps.
import { firstThawedGroup } from '../../../shared/schedules'

export const HEAD_SWEEP_STEPS = 100
export const THAWED_SWEEP_STEPS = 40

export interface SweepLength {
  steps: number
  /** true when shortened because the stage thaws backbone groups */
  coarse: boolean
}

/** `groups` counts the backbone's groups plus the head, or null while they are not known (then
 * only freezeTo -1, the head alone whatever the backbone, counts as the head). */
export function lrSweepFor(freezeTo: number, groups: number | null): SweepLength {
  const headOnly = groups === null ? freezeTo === -1 : firstThawedGroup(freezeTo, groups) === groups - 1
  return headOnly ? { steps: HEAD_SWEEP_STEPS, coarse: false } : { steps: THAWED_SWEEP_STEPS, coarse: true }
}
