import { describe, expect, it } from 'vitest'
import { assignSplits, validCount } from '../../../src/main/dataset/split'

const items = (counts: Record<string, number>): { key: string; className: string | null }[] =>
  Object.entries(counts).flatMap(([cls, n]) =>
    Array.from({ length: n }, (_, i) => ({ key: `${cls}/${String(i).padStart(4, '0')}.jpg`, className: cls === '-' ? null : cls }))
  )

const validOf = (m: Map<string, string>, prefix: string): number => [...m].filter(([k, v]) => k.startsWith(prefix) && v === 'valid').length

describe('assignSplits', () => {
  it('is stratified by class, unlabelled images being a class of their own', () => {
    const m = assignSplits(items({ cats: 100, dogs: 40, '-': 20 }), 0.2, 42)
    expect(m.size).toBe(160)
    expect([validOf(m, 'cats/'), validOf(m, 'dogs/'), validOf(m, '-/')]).toEqual([20, 8, 4])
  })

  it('is reproducible and ignores input order', () => {
    const list = items({ a: 50, b: 30 })
    const one = assignSplits(list, 0.25, 7)
    const two = assignSplits([...list].reverse(), 0.25, 7)
    expect([...two].sort()).toEqual([...one].sort())
    const other = assignSplits(list, 0.25, 8)
    expect([...other].filter(([k, v]) => one.get(k) !== v).length).toBeGreaterThan(0)
  })

  it('is stable: adding images moves few of the others', () => {
    const before = assignSplits(items({ a: 200 }), 0.2, 1)
    const after = assignSplits([...items({ a: 200 }), ...Array.from({ length: 5 }, (_, i) => ({ key: `a/new${i}.jpg`, className: 'a' }))], 0.2, 1)
    const moved = [...before].filter(([k, v]) => after.get(k) !== v).length
    expect(moved).toBeLessThanOrEqual(10)
  })

  it('keeps a training image in every class of 2+, and a validation image once the class is big enough', () => {
    const m = assignSplits(items({ one: 1, two: 2, four: 4, five: 5, nine: 9 }), 0.2, 3)
    expect(validOf(m, 'one/')).toBe(0) // a single image trains
    expect(validOf(m, 'two/')).toBe(0) // 0.4 rounds to 0; 2 < 1/0.2
    expect(validOf(m, 'four/')).toBe(1) // 0.8 rounds to 1
    expect(validOf(m, 'five/')).toBe(1) // 5 >= 1/0.2
    expect(validOf(m, 'nine/')).toBe(2)
    const high = assignSplits(items({ two: 2, three: 3 }), 0.9, 3)
    expect([validOf(high, 'two/'), validOf(high, 'three/')]).toEqual([1, 2]) // never all of a class
  })

  it('counts as documented', () => {
    expect([0, 1, 2, 3, 10, 11, 15, 100].map((n) => validCount(n, 0.1))).toEqual([0, 0, 0, 0, 1, 1, 2, 10])
    expect(validCount(10, 0)).toBe(0)
    expect(validCount(3, 0.34)).toBe(1)
  })

  it('puts everything in train at 0%', () => {
    expect([...assignSplits(items({ a: 10 }), 0, 1).values()].every((s) => s === 'train')).toBe(true)
  })

  it('validates its arguments with clear errors', () => {
    expect(() => assignSplits([], 1, 1)).toThrow('valid-pct must be a number from 0 (no validation set) up to but not including 1, got 1')
    expect(() => assignSplits([], -0.1, 1)).toThrow(/valid-pct/)
    expect(() => assignSplits([], Number.NaN, 1)).toThrow(/valid-pct/)
    expect(() => assignSplits([], 0.2, 1.5)).toThrow('seed must be an integer, got 1.5')
    expect(() => assignSplits([{ key: 'a', className: null }, { key: 'a', className: 'x' }], 0.2, 1)).toThrow('duplicate key in split assignment: a')
    expect(assignSplits([], 0.2, -3).size).toBe(0)
  })
})
