import { envMegabytes } from '../util/envMegabytes'
import { ThawError } from '../errors'
import type { Plan, Stage } from '../../shared/plan'
import type { StageCachePlan } from '../../shared/types'
import type { BackboneDescription } from '../engine/tasks/describe'
import { bytesPerActivation, type ActivationSetKey } from '../precompute/activationStore'
import { activationKey } from '../precompute/precompute'
import type { StageCache } from './runPlan'
import { firstThawedGroup } from '../../shared/schedules'

/** Disk the activations of a freeze boundary may take before a stage falls back to running the
 * frozen groups on every image. THAW_CACHE_BUDGET_MB overrides it. */
export function cacheBudgetBytes(): number {
  return envMegabytes('THAW_CACHE_BUDGET_MB', process.env.THAW_CACHE_BUDGET_MB, { zero: false }) ?? 4096e6
}

/** Where each stage's inputs come from, and what the boundary caches will cost, decided before
 * anything is built so the panel can show it. */
export function planStageCaches(
  d: BackboneDescription,
  plan: Plan,
  /** activation rows a cache holds: every image's plain view plus the training images' views */
  rows: number,
  opts: { precompute: boolean; budget?: number }
): (StageCachePlan & { cache: StageCache })[] {
  const budget = opts.budget ?? cacheBudgetBytes()
  const groups = d.spec.groups.length + 1
  checkFreezeTo(d, plan, groups)
  return plan.stages.map((stage: Stage) => {
    const first = firstThawedGroup(stage.freezeTo, groups)
    const headOnly = first === groups - 1
    const boundary = headOnly ? d.spec.featureLayer : first === 0 ? null : d.spec.groups[first - 1]!.lastLayer
    const shape = headOnly ? [2 * d.spec.featureShape[2]] : first === 0 ? [] : d.groups[first - 1]!.outputShape
    const bytes = boundary === null ? 0 : rows * bytesPerActivation(shape)
    const base = { stage: stage.name, firstThawedGroup: first, boundary, shape, bytes, budget }
    const bnBelow = stage.trainBn ? d.groups.slice(0, first).reduce((n, g) => n + g.batchNormLayers, 0) : 0
    const none = (reason: string) => ({ ...base, cached: false, reason, cache: { key: null, reason } })
    if (!opts.precompute) return none('precompute is off')
    if (boundary === null) return none('the whole backbone is thawed: there is nothing frozen to cache')
    if (bnBelow) return none(`trainBn: ${bnBelow} batch-norm layers below the boundary train, so nothing below it is fixed`)
    if (bytes > budget) {
      return none(`a cache at ${boundary} would take ${(bytes / 1e9).toFixed(2)} GB, over the ${(budget / 1e9).toFixed(2)} GB budget (THAW_CACHE_BUDGET_MB)`)
    }
    const key: ActivationSetKey = activationKey(d, boundary, headOnly ? 'concat-pool' : 'none')
    return { ...base, cached: true, reason: null, cache: { key } }
  })
}

/** freezeTo must name a group boundary of this backbone: 0 (everything trains) up to the head
 * alone (groups - 1), or the same counted from the end (-1 = the head alone, -groups = all).
 * Anything else was being clamped silently, and recorded as asked. */
export function checkFreezeTo(d: BackboneDescription, plan: Plan, groups = d.spec.groups.length + 1): void {
  plan.stages.forEach((stage, i) => {
    if (d.frozenOnly && stage.freezeTo !== -1) {
      // 0 would mean "train everything": the head alone is all that can train, so say it
      throw new ThawError('BAD_PLAN', `stage ${i + 1} ("${stage.name}") would thaw the backbone: ${d.frozenOnly}. Use freezeTo -1 (the head only)`)
    }
    if (stage.freezeTo >= -groups && stage.freezeTo <= groups - 1) return
    throw new ThawError(
      'BAD_PLAN',
      `stage ${i + 1} ("${stage.name}"): freezeTo ${stage.freezeTo} is not a group boundary of ${d.spec.id}, which has ${groups - 1} layer groups and the head: ` +
        `use 0 (train everything) to ${groups - 1} (the head only), or -1 (the head only) to -${groups} (everything)`
    )
  })
}
