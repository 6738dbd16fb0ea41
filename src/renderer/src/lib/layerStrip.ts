// The layers strip as data: the backbone's groups from the input down, then the head, each frozen
// or thawed for a stage and, when thawed, the peak rate it trains at. Pure, for the panel and tests.
import type { Stage } from '../../../shared/plan'
import { firstThawedGroup, groupRates } from '../../../shared/schedules'
import type { BackboneGroups } from '../../../shared/types'

export interface StripRow {
  name: string
  params: number
  trainableParams: number
  outputShape: number[]
  batchNormLayers: number
  isHead: boolean
  frozen: boolean
  /** peak learning rate of a thawed group in this stage; null when frozen or unknown */
  rate: number | null
}

/** The classifier head the engine puts on the backbone (src/main/training/head.ts buildHead):
 * concat pooling (2C features), BN, dense to `hidden` with ReLU, BN, dense to the classes. The
 * contract describes the backbone's groups only, so its size is worked out here. */
export function headGroup(featureChannels: number, classes: number, hidden = 512): Omit<StripRow, 'frozen' | 'rate'> {
  const features = 2 * featureChannels
  const bnParams = (n: number): number => 4 * n // gamma, beta, moving mean, moving variance
  const params = bnParams(features) + features * hidden + hidden + bnParams(hidden) + hidden * classes + classes
  // the moving statistics of each BN are not trained
  const trainableParams = params - 2 * features - 2 * hidden
  return { name: 'head (pool, BN, dense, dense)', params, trainableParams, outputShape: [classes], batchNormLayers: 2, isHead: true }
}

/** Every row of the strip for a stage (or none yet: everything shown frozen but the head). */
export function stripRows(
  groups: BackboneGroups['groups'],
  classes: number,
  stage: Pick<Stage, 'freezeTo' | 'lr'> | null,
  /** the feature's channels when there are no groups to read them from (a frozen ONNX backbone) */
  featureChannels = 0
): StripRow[] {
  const last = groups[groups.length - 1]
  const channels = last?.outputShape[last.outputShape.length - 1] ?? featureChannels
  const all = [...groups.map((g) => ({ ...g, isHead: false })), headGroup(channels, Math.max(classes, 1))]
  const first = firstThawedGroup(stage?.freezeTo ?? -1, all.length)
  const rates = stage && validLr(stage.lr) ? groupRates(stage.lr, all.length - first) : null
  return all.map((g, i) => ({
    name: g.name,
    params: g.params,
    trainableParams: g.trainableParams,
    outputShape: g.outputShape,
    batchNormLayers: g.batchNormLayers,
    isHead: g.isHead,
    frozen: i < first,
    rate: i >= first && rates ? (rates[i - first] ?? null) : null
  }))
}

function validLr(lr: Stage['lr']): boolean {
  return Array.isArray(lr) ? lr.every((v) => Number.isFinite(v) && v > 0) : Number.isFinite(lr) && lr > 0
}

/** The freeze boundary's keys. It is a vertical slider whose value is how many groups train (the
 * head counts), so it follows ARIA's slider keys and the picture at once: Up or Right thaws one
 * group more (the boundary moves up), Down or Left freezes one more, Home is the minimum (head
 * only), End the maximum (everything trains). Takes and gives the first thawed group's index. */
export function boundaryAfterKey(key: string, first: number, groups: number): number | null {
  const clamp = (v: number): number => Math.min(Math.max(v, 0), groups - 1)
  switch (key) {
    case 'ArrowUp':
    case 'ArrowRight':
      return clamp(first - 1)
    case 'ArrowDown':
    case 'ArrowLeft':
      return clamp(first + 1)
    case 'PageUp':
      return clamp(first - 2)
    case 'PageDown':
      return clamp(first + 2)
    case 'Home':
      return groups - 1
    case 'End':
      return 0
    default:
      return null
  }
}

/** Where a drag lands: the gap nearest to `y` among the gaps above each row (row tops, top to
 * bottom). The gap above row i means "row i is the first thawed"; the head always trains. */
export function boundaryAtY(y: number, rowTops: readonly number[]): number {
  if (rowTops.length === 0) return 0
  let best = 0
  let bestDistance = Infinity
  rowTops.forEach((top, i) => {
    const d = Math.abs(y - top)
    if (d < bestDistance) {
      bestDistance = d
      best = i
    }
  })
  return Math.min(best, rowTops.length - 1)
}

/** 3487816 -> "3.49 M", 53728 -> "53.7 K". */
export function formatParams(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} K`
  return String(n)
}

/** [14, 14, 96] -> "14×14×96" */
export function formatShape(shape: readonly number[]): string {
  return shape.length ? shape.join('×') : '–'
}
