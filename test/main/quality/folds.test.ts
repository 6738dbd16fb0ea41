import { describe, expect, it } from 'vitest'
import { stratifiedFolds } from '../../../src/main/quality/folds'

describe('stratified k-fold', () => {
  const labels = [...Array(23).fill(0), ...Array(11).fill(1), ...Array(6).fill(2)]

  it('puts each class in every fold in proportion, fold sizes within one', () => {
    const k = 5
    const fold = stratifiedFolds(labels, k, 42)
    const sizes = Array.from({ length: k }, (_, f) => fold.filter((x) => x === f).length)
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1)
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(labels.length)
    for (const c of [0, 1, 2]) {
      const n = labels.filter((l) => l === c).length
      const per = Array.from({ length: k }, (_, f) => labels.filter((l, i) => l === c && fold[i] === f).length)
      expect(Math.max(...per) - Math.min(...per)).toBeLessThanOrEqual(1)
      expect(per.reduce((a, b) => a + b, 0)).toBe(n)
    }
  })

  it('is a function of the seed', () => {
    expect(Array.from(stratifiedFolds(labels, 5, 42))).toEqual(Array.from(stratifiedFolds(labels, 5, 42)))
    expect(Array.from(stratifiedFolds(labels, 5, 42))).not.toEqual(Array.from(stratifiedFolds(labels, 5, 43)))
  })

  it('refuses fewer than two folds', () => {
    expect(() => stratifiedFolds(labels, 1, 0)).toThrow(/at least 2/)
    expect(() => stratifiedFolds(labels, 2.5, 0)).toThrow(/integer/)
  })
})
