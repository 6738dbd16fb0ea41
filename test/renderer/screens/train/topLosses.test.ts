import { describe, expect, it } from 'vitest'
import { isMisclassified, visiblePredictions } from '../../../../src/renderer/src/screens/train/topLosses'
import type { Prediction } from '../../../../src/shared/types'

const p = (imageId: number, label: number, predicted: number, loss: number): Prediction => ({ imageId, label, predicted, loss, probs: [] })
// most wrong first, as the studio orders them; a confidently right image can still have a loss
const predictions = [p(1, 0, 1, 3.2), p(2, 1, 0, 1.1), p(3, 1, 1, 0.6), p(4, 0, 1, 0.5), p(5, 0, 0, 0.01)]

describe('visiblePredictions', () => {
  it('shows every prediction, or only the misclassified ones, in the same order', () => {
    expect(visiblePredictions(predictions, false).map((x) => x.imageId)).toEqual([1, 2, 3, 4, 5])
    expect(visiblePredictions(predictions, true).map((x) => x.imageId)).toEqual([1, 2, 4])
    expect(visiblePredictions([p(1, 0, 0, 0.1)], true)).toEqual([])
    expect(isMisclassified(predictions[2]!)).toBe(false)
  })
})
