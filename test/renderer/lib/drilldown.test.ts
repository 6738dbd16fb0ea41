import { describe, expect, it } from 'vitest'
import { byLoss, cellPredictions, confusionOf, indexedPredictions, mostConfused } from '../../../src/renderer/src/lib/drilldown'
import type { Prediction } from '../../../src/shared/types'

const p = (imageId: number, label: number, predicted: number, loss: number): Prediction => ({ imageId, label, predicted, loss, probs: [] })

describe('drill-down', () => {
  // 3 classes: 0 right twice, 0 as 1 twice, 1 as 0 once, 2 as 1 twice, 1 right once
  const preds = [p(1, 0, 0, 0.1), p(2, 0, 0, 0.2), p(3, 0, 1, 1.5), p(4, 0, 1, 2.5), p(5, 1, 0, 0.9), p(6, 2, 1, 1.1), p(7, 2, 1, 3.0), p(8, 1, 1, 0.05)]

  it('counts the confusion matrix by actual row and predicted column', () => {
    expect(confusionOf(preds, 3)).toEqual([
      [2, 2, 0],
      [1, 1, 0],
      [0, 2, 0]
    ])
  })

  it('lists the most confused pairs, most images first, ties by class order; never the diagonal', () => {
    expect(mostConfused(confusionOf(preds, 3))).toEqual([
      { actual: 0, predicted: 1, count: 2 },
      { actual: 2, predicted: 1, count: 2 },
      { actual: 1, predicted: 0, count: 1 }
    ])
    expect(mostConfused(confusionOf(preds, 3), 2)).toHaveLength(2)
    expect(mostConfused([[5, 0], [0, 7]])).toEqual([])
  })

  it("gives a cell's images, highest loss first", () => {
    expect(cellPredictions(preds, { actual: 2, predicted: 1 }).map((x) => x.imageId)).toEqual([7, 6])
    expect(cellPredictions(preds, { actual: 0, predicted: 0 }).map((x) => x.imageId)).toEqual([2, 1])
    expect(cellPredictions(preds, { actual: 1, predicted: 2 })).toEqual([])
    expect(byLoss(preds).map((x) => x.imageId)).toEqual([7, 4, 3, 6, 5, 2, 1, 8])
  })

  it('turns named predictions into indexed ones with the cross-entropy loss, leaving out what has no label column', () => {
    const out = indexedPredictions(
      [
        { imageId: 1, label: 'bees', predicted: 'ants', probs: { ants: 0.8, bees: 0.2 } },
        { imageId: 2, label: null, predicted: 'ants', probs: { ants: 0.6, bees: 0.4 } },
        { imageId: 3, label: 'wasps', predicted: 'bees', probs: { ants: 0.1, bees: 0.9 } },
        { imageId: 4, label: 'ants', predicted: 'ants', probs: { ants: 1, bees: 0 } }
      ],
      ['ants', 'bees']
    )
    expect(out).toEqual([
      { imageId: 1, label: 1, predicted: 0, probs: [0.8, 0.2], loss: -Math.log(0.2) },
      { imageId: 4, label: 0, predicted: 0, probs: [1, 0], loss: -0 }
    ])
    // a probability of 0 for the label gives a large, finite loss
    expect(indexedPredictions([{ imageId: 5, label: 'bees', predicted: 'ants', probs: { ants: 1, bees: 0 } }], ['ants', 'bees'])[0]!.loss).toBeCloseTo(27.63, 1)
  })

  it('leaves excluded images out of the drill-down, so its matrix, pairs and top losses never count them', () => {
    const named = [
      { imageId: 1, label: 'bees', predicted: 'ants', probs: { ants: 0.9, bees: 0.1 }, excluded: true },
      { imageId: 2, label: 'bees', predicted: 'bees', probs: { ants: 0.3, bees: 0.7 }, excluded: false },
      { imageId: 3, label: 'ants', predicted: 'bees', probs: { ants: 0.4, bees: 0.6 } }
    ]
    const out = indexedPredictions(named, ['ants', 'bees'])
    expect(out.map((x) => x.imageId)).toEqual([2, 3])
    expect(confusionOf(out, 2)).toEqual([
      [0, 1],
      [0, 1]
    ])
    expect(byLoss(out)[0]!.imageId).toBe(3)
  })
})
