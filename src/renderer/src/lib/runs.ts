// Pure helpers of the Runs view: sorting the table and overlaying two runs' curves.
import type { EpochMetrics, ModelRecord } from '../../../shared/types'

export type RunSortKey = 'date' | 'accuracy' | 'loss'

/** Runs in table order. Accuracy: best first; loss: lowest first; date: newest first. Runs
 * without weights (no metrics) always go last; ties fall back to the newest first. */
export function sortRuns(models: readonly ModelRecord[], key: RunSortKey): ModelRecord[] {
  const metric = (m: ModelRecord): number | null => (key === 'accuracy' ? (m.valid?.accuracy ?? null) : key === 'loss' ? (m.valid?.loss ?? null) : null)
  return [...models].sort((a, b) => {
    if (key !== 'date') {
      const x = metric(a)
      const y = metric(b)
      if (x === null || y === null) {
        if (x !== y) return x === null ? 1 : -1
      } else if (x !== y) return key === 'accuracy' ? y - x : x - y
    }
    return b.id - a.id
  })
}

/** Two runs' validation loss and accuracy on one epoch axis (null where a run has no epoch):
 * [epochs, a loss, b loss, a accuracy, b accuracy]. */
export function overlaidCurves(a: readonly EpochMetrics[], b: readonly EpochMetrics[]): (number | null)[][] {
  const n = Math.max(a.length, b.length)
  const xs = Array.from({ length: n }, (_, i) => i + 1)
  const col = (runs: readonly EpochMetrics[], pick: (e: EpochMetrics) => number) => xs.map((_, i) => (runs[i] ? pick(runs[i]!) : null))
  return [xs, col(a, (e) => e.validLoss), col(b, (e) => e.validLoss), col(a, (e) => e.validAccuracy), col(b, (e) => e.validAccuracy)]
}
