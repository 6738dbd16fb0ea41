import { describe, expect, it } from 'vitest'
import { cannotChoose, chosenModel, staleAutoRuns, type ModelFacts } from '../../../src/main/training/chosenModel'

const m = (id: number, status: ModelFacts['status'] = 'finished', extra: Partial<ModelFacts> = {}): ModelFacts => ({ id, status, auto: false, usable: status !== 'interrupted', ...extra })

describe('the chosen model', () => {
  it('is nothing without a finished run', () => {
    expect(chosenModel([], null)).toBeNull()
    expect(chosenModel([m(1, 'cancelled'), m(2, 'interrupted')], null)).toBeNull()
  })

  it('is the newest finished run until the user picks', () => {
    expect(chosenModel([m(1), m(2), m(3)], null)).toBe(3)
    expect(chosenModel([m(3), m(1), m(2)], null)).toBe(3) // by id, not by list order
  })

  it('never becomes a cancelled run by itself', () => {
    expect(chosenModel([m(1), m(2, 'cancelled')], null)).toBe(1)
  })

  it('never becomes an interrupted run or an auto run by itself', () => {
    expect(chosenModel([m(1), m(2, 'interrupted'), m(3, 'finished', { auto: true })], null)).toBe(1)
    // a finished record without weights (cannot happen today) is not chosen either
    expect(chosenModel([m(1), m(2, 'finished', { usable: false })], null)).toBe(1)
  })

  it("is the user's pick, even a cancelled or auto run, while it exists", () => {
    expect(chosenModel([m(1), m(2), m(3)], 1)).toBe(1)
    expect(chosenModel([m(1), m(2, 'cancelled')], 2)).toBe(2)
    expect(chosenModel([m(1), m(2, 'finished', { auto: true })], 2)).toBe(2)
  })

  it('falls back to the rule when the pick is deleted or has no weights', () => {
    expect(chosenModel([m(1), m(3)], 2)).toBe(3)
    expect(chosenModel([m(1), m(2, 'interrupted')], 2)).toBe(1)
    expect(chosenModel([m(1, 'cancelled')], 7)).toBeNull()
  })

  it('says why a model cannot be picked', () => {
    expect(cannotChoose(undefined, 9)).toMatch(/no model 9/)
    expect(cannotChoose(m(2, 'interrupted'), 2)).toMatch(/interrupted before it kept any weights/)
    expect(cannotChoose(m(2, 'cancelled'), 2)).toBeNull()
  })
})

describe('auto runs', () => {
  it('keeps only the latest', () => {
    const models = [m(1), m(2, 'finished', { auto: true }), m(3, 'cancelled', { auto: true }), m(4), m(5, 'finished', { auto: true })]
    expect(staleAutoRuns(models, null)).toEqual([2, 3])
  })

  it('keeps an auto run the user picked', () => {
    const models = [m(2, 'finished', { auto: true }), m(5, 'finished', { auto: true })]
    expect(staleAutoRuns(models, 2)).toEqual([])
  })

  it('has nothing to delete without auto runs', () => {
    expect(staleAutoRuns([m(1), m(2)], null)).toEqual([])
  })
})
