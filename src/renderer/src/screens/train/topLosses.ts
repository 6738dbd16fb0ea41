// Which validation predictions the top-losses gallery shows: all of them (most wrong first, as
// the studio orders them), or only those whose predicted class is not the label.
import type { Prediction } from '../../../../shared/types'

export const isMisclassified = (p: Prediction): boolean => p.predicted !== p.label

export function visiblePredictions(predictions: readonly Prediction[], misclassifiedOnly: boolean): Prediction[] {
  return misclassifiedOnly ? predictions.filter(isMisclassified) : [...predictions]
}
