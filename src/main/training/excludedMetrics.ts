// A model's stored validation predictions and metrics, seen through today's exclusions. A model
// keeps what it measured when it was trained; an image excluded since (a bad photo, a copy
// leaking from train) must leave its top losses, its confusion matrix and its accuracy, or the
// Runs screen and the drill-down go on counting an image the user took out (issue #8 §4).
import type { Prediction, ValidSummary } from '../../shared/types'
import type { Db } from '../store/db'
import { validMetrics } from './metrics'

/** Ids of the images excluded now. */
export function excludedIds(db: Db): Set<number> {
  return new Set(db.prepare('SELECT id FROM images WHERE excluded = 1').pluck().all() as number[])
}

/** The validation summary recomputed over the predictions of images not excluded, and those
 * predictions (still most wrong first). Untouched, to the bit, when none of them is excluded. */
export function withoutExcluded(valid: ValidSummary, predictions: readonly Prediction[], excluded: ReadonlySet<number>): { valid: ValidSummary; predictions: Prediction[] } {
  const kept = predictions.filter((p) => !excluded.has(p.imageId))
  if (kept.length === predictions.length) return { valid, predictions: [...predictions] }
  const k = valid.classes.length
  const probs = new Float32Array(kept.length * k)
  kept.forEach((p, i) => probs.set(p.probs.slice(0, k), i * k))
  const m = validMetrics(
    probs,
    kept.map((p) => p.label),
    valid.classes
  )
  return { valid: { accuracy: m.accuracy, loss: m.loss, classes: valid.classes, confusion: m.confusion, precision: m.precision, recall: m.recall }, predictions: kept }
}

interface ReportLike {
  valid?: ValidSummary
  predictions?: Prediction[]
}

/** A stored report with its validation summary and predictions seen through the exclusions
 * (reports of runs that kept no weights have neither, and come back as they were). */
export function reportWithoutExcluded<T extends ReportLike>(report: T, excluded: ReadonlySet<number>): T {
  if (!report.valid || !report.predictions || excluded.size === 0) return report
  const r = withoutExcluded(report.valid, report.predictions, excluded)
  return { ...report, valid: r.valid, predictions: r.predictions }
}
