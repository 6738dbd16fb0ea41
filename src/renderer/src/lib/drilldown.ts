// Drill-down, the pure parts: a confusion matrix and its most-confused pairs from a list of
// predictions, the images of one cell, and training-image predictions (by class name, from the
// stored per-image predictions) turned into the gallery's form (by class index, with a loss).
import type { Prediction } from '../../../shared/types'

export interface ConfusedPair {
  actual: number
  predicted: number
  count: number
}

/** A cell of the confusion matrix: actual class (row) and predicted class (column). */
export interface Cell {
  actual: number
  predicted: number
}

/** rows: actual class, columns: predicted class, counting the predictions given */
export function confusionOf(predictions: readonly Prediction[], classCount: number): number[][] {
  const m = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0))
  for (const p of predictions) {
    const row = m[p.label]
    if (row && p.predicted >= 0 && p.predicted < classCount) row[p.predicted]!++
  }
  return m
}

/** The off-diagonal cells with any images, most images first (ties: by actual, then predicted
 * class, so the list is stable), as fastai's most_confused. */
export function mostConfused(confusion: readonly (readonly number[])[], minCount = 1): ConfusedPair[] {
  const pairs: ConfusedPair[] = []
  confusion.forEach((row, actual) =>
    row.forEach((count, predicted) => {
      if (actual !== predicted && count >= minCount) pairs.push({ actual, predicted, count })
    })
  )
  return pairs.sort((a, b) => b.count - a.count || a.actual - b.actual || a.predicted - b.predicted)
}

/** The predictions in one cell, most wrong (highest loss) first. */
export function cellPredictions(predictions: readonly Prediction[], cell: Cell): Prediction[] {
  return predictions.filter((p) => p.label === cell.actual && p.predicted === cell.predicted).sort((a, b) => b.loss - a.loss)
}

/** Highest loss first (the order top losses show). */
export function byLoss(predictions: readonly Prediction[]): Prediction[] {
  return [...predictions].sort((a, b) => b.loss - a.loss || a.imageId - b.imageId)
}

/** A stored per-image prediction, as the models' predictions give it: class names and probabilities by name. */
export interface NamedPrediction {
  imageId: number
  label: string | null
  predicted: string
  probs: Record<string, number>
  /** excluded by the user: out of the drill-down, its counts and its top losses */
  excluded?: boolean
}

/**
 * Named predictions in the gallery's form, against the model's classes: labelled images not
 * excluded whose label the model knows (an unlabelled image has no loss, and a class added since the model was
 * trained has no column). The loss is the cross-entropy of the label, -ln p(label), as the
 * validation predictions carry it.
 */
export function indexedPredictions(named: readonly NamedPrediction[], classes: readonly string[]): Prediction[] {
  const index = new Map(classes.map((c, i) => [c, i]))
  const out: Prediction[] = []
  for (const n of named) {
    if (n.excluded) continue
    const label = n.label === null ? undefined : index.get(n.label)
    const predicted = index.get(n.predicted)
    if (label === undefined || predicted === undefined) continue
    const probs = classes.map((c) => n.probs[c] ?? 0)
    out.push({ imageId: n.imageId, label, predicted, probs, loss: -Math.log(Math.max(probs[label]!, 1e-12)) })
  }
  return out
}
