import { describe, expect, it } from 'vitest'
import { planSchema } from '../../../src/shared/plan'
import type { EpochMetrics } from '../../../src/shared/types'
import { epochsByStage, lrFinderCurve, planRateCurves, shortGroupName, thawedPhrase, trainingCurves } from '../../../src/renderer/src/lib/curves'

const epoch = (stage: number, epoch: number, trainLoss = 1, validLoss = 1, validAccuracy = 0.5): EpochMetrics => ({
  stage,
  epoch,
  trainLoss,
  validLoss,
  validAccuracy,
  ms: 100,
  trainMs: 80
})

describe('trainingCurves', () => {
  it('puts epoch k of the run at x = k and marks where each later stage starts', () => {
    const epochs = [epoch(0, 1, 0.9, 0.8, 0.6), epoch(0, 2, 0.5, 0.4, 0.8), epoch(1, 1, 0.3, 0.35, 0.9), epoch(2, 1)]
    const { data, boundaries } = trainingCurves(epochs, ['head', 'thaw'])
    expect(data[0]).toEqual([1, 2, 3, 4])
    expect(data[1]).toEqual([0.9, 0.5, 0.3, 1])
    expect(data[2]).toEqual([0.8, 0.4, 0.35, 1])
    expect(data[3]).toEqual([0.6, 0.8, 0.9, 0.5])
    expect(boundaries).toEqual([
      { x: 2, stage: 1, name: 'thaw' },
      { x: 3, stage: 2, name: 'stage 3' }
    ])
  })

  it('is empty for no epochs', () => {
    expect(trainingCurves([])).toEqual({ data: [[], [], [], []], boundaries: [] })
  })

  it('groups epochs by stage in order', () => {
    const byStage = epochsByStage([epoch(0, 1), epoch(0, 2), epoch(1, 1)])
    expect([...byStage.keys()]).toEqual([0, 1])
    expect(byStage.get(0)!.map((e) => e.epoch)).toEqual([1, 2])
  })
})

describe('lrFinderCurve', () => {
  it('drops non-finite losses and reads the suggestion off the curve', () => {
    const lrs = Array.from({ length: 20 }, (_, i) => 1e-6 * 10 ** (i / 3))
    const losses = lrs.map((_, i) => (i === 3 ? NaN : 1 - i * 0.01))
    const { data, suggestion } = lrFinderCurve({ lrs, losses, suggestion: lrs[6]! * 1.01 })
    expect(data[0]).toHaveLength(19)
    expect(data[1].every(Number.isFinite)).toBe(true)
    expect(suggestion.loss).toBeCloseTo(1 - 6 * 0.01)
  })

  it('has no marker height for an empty sweep', () => {
    expect(lrFinderCurve({ lrs: [], losses: [], suggestion: 1e-3 }).suggestion.loss).toBeNull()
  })
})

describe('planRateCurves', () => {
  const plan = planSchema.parse({
    stages: [
      { name: 'head', epochs: 2, lr: 1e-2, schedule: 'constant' },
      { name: 'thaw', freezeTo: -2, epochs: 1, lr: [1e-4, 1e-2], schedule: 'constant' }
    ]
  })

  it('gives every group a column, null while frozen, from planRates', () => {
    const { data, boundaries, range } = planRateCurves(plan, 3, 2)
    const [x, g0, g1, head] = data
    expect(x).toEqual([0, 0.5, 1, 1.5, 2, 2.5, 3])
    expect(g0).toEqual([null, null, null, null, null, null, null])
    // the last backbone group trains only in stage 2, at the low end of the slice
    expect(g1!.slice(0, 4)).toEqual([null, null, null, null])
    expect(g1![4]).toBeCloseTo(1e-4)
    expect(head!.every((v) => v !== null && v > 0)).toBe(true)
    expect(head![0]).toBeCloseTo(1e-2)
    expect(boundaries).toEqual([{ x: 2, stage: 1, name: 'thaw' }])
    expect(range![0]).toBeCloseTo(1e-4)
    expect(range![1]).toBeCloseTo(1e-2)
  })

  it('has no range when every rate is zero', () => {
    // one group (the head) always trains, so only a degenerate input has no range
    expect(planRateCurves({ name: 'p', stages: [] }, 2).range).toBeNull()
  })
})

describe('thawedPhrase', () => {
  const names = ['early (stem)', 'middle (blocks)', 'final (conv)']
  it('names what trains', () => {
    expect(thawedPhrase(-1, names)).toBe('head only')
    expect(thawedPhrase(-2, names)).toBe('final + head')
    expect(thawedPhrase(1, names)).toBe('middle + final + head')
    expect(thawedPhrase(0, names)).toBe('everything')
    expect(shortGroupName('plain')).toBe('plain')
  })
})
