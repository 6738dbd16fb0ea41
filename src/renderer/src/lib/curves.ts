// Shapes what the studio reports (epoch metrics, LR-finder sweeps, a plan's rates) into the
// column arrays uPlot draws. Pure, so the charts' data can be tested without a browser.
//
// One time axis everywhere: x is "epochs done since the run started". An epoch's metrics are
// measured at its end, so epoch k of the run sits at x = k, and a stage that starts after j
// epochs begins at x = j: the same x the learning-rate plot of the plan uses.
import type { Plan } from '../../../shared/plan'
import { firstThawedGroup, planRates } from '../../../shared/schedules'
import type { EpochMetrics, LrFindResult } from '../../../shared/types'

/** uPlot's aligned data: the x column first, then one column per series (null = no point). */
export type Columns = [number[], ...(number | null)[][]]

export interface StageMark {
  /** x where the stage starts */
  x: number
  /** 0-based stage index */
  stage: number
  name: string
}

export interface TrainingCurves {
  data: [x: number[], trainLoss: number[], validLoss: number[], validAccuracy: number[]]
  /** where each stage after the first begins */
  boundaries: StageMark[]
}

/** Epoch metrics in run order (stages one after another) -> loss and accuracy columns and the
 * stage boundaries. `stageNames` names the marks; unnamed stages are called by their number. */
export function trainingCurves(epochs: readonly EpochMetrics[], stageNames: readonly string[] = []): TrainingCurves {
  const x: number[] = []
  const trainLoss: number[] = []
  const validLoss: number[] = []
  const validAccuracy: number[] = []
  const boundaries: StageMark[] = []
  epochs.forEach((e, i) => {
    if (i > 0 && e.stage !== epochs[i - 1]!.stage) {
      boundaries.push({ x: i, stage: e.stage, name: stageNames[e.stage] ?? `stage ${e.stage + 1}` })
    }
    x.push(i + 1)
    trainLoss.push(e.trainLoss)
    validLoss.push(e.validLoss)
    validAccuracy.push(e.validAccuracy)
  })
  return { data: [x, trainLoss, validLoss, validAccuracy], boundaries }
}

/** Epochs of each stage, for one small chart per stage: stage index -> its metrics in order. */
export function epochsByStage(epochs: readonly EpochMetrics[]): Map<number, EpochMetrics[]> {
  const byStage = new Map<number, EpochMetrics[]>()
  for (const e of epochs) {
    const list = byStage.get(e.stage)
    if (list) list.push(e)
    else byStage.set(e.stage, [e])
  }
  return byStage
}

/** An LR-finder sweep -> [lrs, losses] (finite, positive points; the studio has already dropped
 * the blown-up tail, as fastai does) and the suggestion's loss, read off the curve at the nearest
 * swept rate, for its marker. */
export function lrFinderCurve(result: LrFindResult): { data: [number[], number[]]; suggestion: { lr: number; loss: number | null } } {
  const lrs: number[] = []
  const losses: number[] = []
  result.lrs.forEach((lr, i) => {
    const loss = result.losses[i]
    if (lr > 0 && loss !== undefined && Number.isFinite(loss)) {
      lrs.push(lr)
      losses.push(loss)
    }
  })
  let nearest: number | null = null
  let best = Infinity
  lrs.forEach((lr, i) => {
    const d = Math.abs(Math.log(lr) - Math.log(result.suggestion))
    if (d < best) {
      best = d
      nearest = losses[i]!
    }
  })
  return { data: [lrs, losses], suggestion: { lr: result.suggestion, loss: nearest } }
}

export interface PlanRateCurves {
  /** x: epochs since the start; then one column per group (backbone groups, then the head), null
   * where the group is frozen: a log scale has no 0, and a gap reads as "not training" */
  data: Columns
  boundaries: StageMark[]
  /** the smallest and largest rate any group reaches, for the log scale's range */
  range: [number, number] | null
}

/** A plan's learning rate of every group over the whole run, from `planRates`: the same
 * functions the fit loop applies, so the plot is what will run. `groups` counts the head. */
export function planRateCurves(plan: Plan, groups: number, perEpoch = 20): PlanRateCurves {
  const { epochs, rates } = planRates(plan.stages, groups, perEpoch)
  let lo = Infinity
  let hi = 0
  const columns = rates.map((series) =>
    series.map((r) => {
      if (r <= 0) return null
      lo = Math.min(lo, r)
      hi = Math.max(hi, r)
      return r
    })
  )
  // close the last sample at the run's end, so the final stage is drawn to its last epoch
  const total = plan.stages.reduce((n, s) => n + s.epochs, 0)
  epochs.push(total)
  for (const c of columns) c.push(c[c.length - 1] ?? null)

  const boundaries: StageMark[] = []
  let offset = 0
  plan.stages.forEach((s, i) => {
    if (i > 0) boundaries.push({ x: offset, stage: i, name: s.name })
    offset += s.epochs
  })
  return { data: [epochs, ...columns], boundaries, range: hi > 0 ? [lo, hi] : null }
}

/** Which groups a stage trains, as a short phrase: "head only", "final + head", "everything". */
export function thawedPhrase(freezeTo: number, groupNames: readonly string[]): string {
  const groups = groupNames.length + 1
  const first = firstThawedGroup(freezeTo, groups)
  if (first === groups - 1) return 'head only'
  if (first === 0) return 'everything'
  const thawed = groupNames.slice(first).map(shortGroupName)
  return `${thawed.join(' + ')} + head`
}

/** "middle (blocks 7-13, 14x14)" -> "middle": the registry puts the details in parentheses. */
export function shortGroupName(name: string): string {
  const cut = name.indexOf(' (')
  return cut > 0 ? name.slice(0, cut) : name
}
