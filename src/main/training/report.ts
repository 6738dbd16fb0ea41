import type { Prediction, ValidSummary } from '../../shared/types'
import type { Evaluation } from './fit'
import type { LabelledImage } from './data/labelledSet'

export function summary(e: Evaluation): ValidSummary {
  const { accuracy, loss, classes, confusion, precision, recall } = e
  return { accuracy, loss, classes, confusion, precision, recall }
}

/** Validation predictions sorted by loss, the most confidently wrong first (fastai's top losses). */
export function predictions(e: Evaluation, valid: LabelledImage[]): Prediction[] {
  const k = e.classes.length
  return valid
    .map((img, i) => {
      const probs = Array.from(e.probs.subarray(i * k, (i + 1) * k))
      const predicted = probs.indexOf(Math.max(...probs))
      return { imageId: img.id, label: img.label, predicted, loss: -Math.log(Math.max(probs[img.label]!, 1e-12)), probs }
    })
    .sort((a, b) => b.loss - a.loss)
}
