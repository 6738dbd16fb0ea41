import type { ModelStatus } from '../../shared/types'

/** What the rules need to know of a model record. */
export interface ModelFacts {
  id: number
  status: ModelStatus
  auto: boolean
  /** has weights (an interrupted run has only its checkpoint) */
  usable: boolean
}

/** The model that predicts and exports. The user's pick wins while it exists and has weights;
 * otherwise the newest finished run. A cancelled, interrupted or auto run is never chosen by
 * itself, so a worse or broken run can never replace a model the user relied on. Ids grow with
 * time (AUTOINCREMENT never reuses one), so "newest" is the largest id. */
export function chosenModel(models: readonly ModelFacts[], picked: number | null): number | null {
  if (picked !== null && models.some((m) => m.id === picked && m.usable)) return picked
  let best: number | null = null
  for (const m of models) if (m.status === 'finished' && !m.auto && m.usable && (best === null || m.id > best)) best = m.id
  return best
}

/** Why the user cannot pick this model, or null: a run without weights cannot predict. */
export function cannotChoose(model: ModelFacts | undefined, id: number): string | null {
  if (!model) return `there is no model ${id} in this project`
  if (!model.usable) return `model ${id} was interrupted before it kept any weights; resume it (thaw train --resume) or pick another`
  return null
}

/** Auto runs to delete once a new one is kept: every older auto run, except the one the user
 * picked (picking an auto run keeps it). */
export function staleAutoRuns(models: readonly ModelFacts[], picked: number | null): number[] {
  const autos = models.filter((m) => m.auto).map((m) => m.id)
  const newest = Math.max(...autos)
  return autos.filter((id) => id !== newest && id !== picked)
}
