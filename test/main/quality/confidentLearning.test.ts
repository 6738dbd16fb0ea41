import { describe, expect, it } from 'vitest'
import { classThresholds, findLabelIssues } from '../../../src/main/quality/confidentLearning'

// Worked by hand (3 classes):
//   t0 = (0.9 + 0.2) / 2 = 0.55, t1 = (0.8 + 0.7 + 0.1) / 3 = 0.5333, t2 = (0.8 + 0.3) / 2 = 0.55
//   item 1 (labelled 0): p0 0.2 < t0, p1 0.75 >= t1 -> suspect, suggests 1, score 0.75 - 0.2 = 0.55
//   item 3 (labelled 1): p1 0.7 >= t1 -> fine
//   item 5 (labelled 2): p2 0.3 < t2, p0 0.65 >= t0 -> suspect, suggests 0, score 0.65 - 0.3 = 0.35
//   item 6 (labelled 1): p1 0.1 < t1, p0 0.3 < t0, p2 0.6 >= t2 -> suspect, suggests 2, score 0.5
//   item 7 (labelled 0): p0 0.4 < t0 but p1 0.45 < t1 and p2 0.15 < t2 -> not a suspect, though
//     it is below its own threshold (no other class is confident either); not in the thresholds
//     above because it is added in the second case
const probs = [
  [0.9, 0.05, 0.05],
  [0.2, 0.75, 0.05],
  [0.1, 0.8, 0.1],
  [0.25, 0.7, 0.05],
  [0.1, 0.1, 0.8],
  [0.65, 0.05, 0.3],
  [0.3, 0.1, 0.6]
]
const labels = [0, 0, 1, 1, 2, 2, 1]

describe('confident learning', () => {
  it('thresholds are the mean self-confidence per class', () => {
    const t = classThresholds(probs.flat(), labels, 3)
    expect(t[0]).toBeCloseTo(0.55, 10)
    expect(t[1]).toBeCloseTo(1.6 / 3, 10)
    expect(t[2]).toBeCloseTo(0.55, 10)
  })

  it('finds and ranks the hand-checked suspects', () => {
    const { issues } = findLabelIssues(probs.flat(), labels, 3)
    expect(issues.map((i) => [i.index, i.label, i.suggested])).toEqual([
      [1, 0, 1],
      [6, 1, 2],
      [5, 2, 0]
    ])
    expect(issues.map((i) => i.score)).toEqual([expect.closeTo(0.55, 10), expect.closeTo(0.5, 10), expect.closeTo(0.35, 10)])
  })

  it('an image below its own threshold is no suspect unless another class reaches its own', () => {
    // item 7 labelled 0: [0.4, 0.45, 0.15]; t0 becomes (0.9 + 0.2 + 0.4) / 3 = 0.5
    const { thresholds, issues } = findLabelIssues([...probs, [0.4, 0.45, 0.15]].flat(), [...labels, 0], 3)
    expect(thresholds[0]).toBeCloseTo(0.5, 10)
    expect(issues.map((i) => i.index)).not.toContain(7)
    // item 5 still: p0 0.65 >= 0.5
    expect(issues.map((i) => i.index)).toEqual([1, 6, 5])
  })

  it('the suggestion is the most probable class that reaches its threshold, not just the runner-up', () => {
    // two classes far more confident on average than the third: item 3 (labelled 2) has
    // p0 0.5 < t0 (0.95) but p1 0.3 >= t1 (0.3): it suggests 1, scored by the best other (0.5)
    const p = [
      [0.95, 0.03, 0.02],
      [0.95, 0.03, 0.02],
      [0.1, 0.3, 0.6],
      [0.5, 0.3, 0.2],
      [0.05, 0.05, 0.9]
    ]
    const y = [0, 0, 1, 2, 2]
    // t0 = 0.95, t1 = 0.3, t2 = (0.2 + 0.9) / 2 = 0.55
    const { issues } = findLabelIssues(p.flat(), y, 3)
    const item3 = issues.find((i) => i.index === 3)!
    expect(item3.suggested).toBe(1)
    expect(item3.score).toBeCloseTo(0.5 - 0.2, 10)
    // item 2 (labelled 1): p1 0.3 >= t1: not a suspect although p2 is larger
    expect(issues.map((i) => i.index)).not.toContain(2)
  })

  it('perfect predictions give no suspects', () => {
    const { issues } = findLabelIssues([1, 0, 0, 1, 1, 0], [0, 1, 0], 2)
    expect(issues).toEqual([])
  })
})
