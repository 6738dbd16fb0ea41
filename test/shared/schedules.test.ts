import { describe, expect, it } from 'vitest'
import { planSchema, PRESETS, stageSchema } from '../../src/shared/plan'
import {
  combine,
  cos,
  evenMults,
  firstThawedGroup,
  groupRates,
  lin,
  oneCycle,
  planRates,
  scheduleFor,
  sgdr
} from '../../src/shared/schedules'

const sample = (f: (p: number) => number, n = 11) => Array.from({ length: n }, (_, i) => f(i / (n - 1)))

describe('schedules', () => {
  it('lin and cos go from start to end', () => {
    expect(sample(lin(1, 3), 3)).toEqual([1, 2, 3])
    const c = sample(cos(1, 0), 3)
    expect(c[0]).toBeCloseTo(1)
    expect(c[1]).toBeCloseTo(0.5)
    expect(c[2]).toBeCloseTo(0)
  })

  it('combine stitches phases by share', () => {
    const f = combine([0.25, 0.75], [lin(0, 1), lin(1, 0)])
    expect(f(0)).toBe(0)
    expect(f(0.125)).toBeCloseTo(0.5)
    expect(f(0.25)).toBeCloseTo(1)
    expect(f(1)).toBeCloseTo(0)
    expect(() => combine([0.5, 0.4], [lin(0, 1), lin(1, 0)])).toThrow(/sum/)
  })

  it('one-cycle warms up to the peak then anneals far below it', () => {
    const f = oneCycle(0.25)
    expect(f(0)).toBeCloseTo(1 / 25)
    expect(f(0.25)).toBeCloseTo(1)
    expect(f(1)).toBeCloseTo(1e-4)
    const values = sample(f, 101)
    const peak = values.indexOf(Math.max(...values))
    expect(peak).toBe(25)
    for (let i = 1; i <= peak; i++) expect(values[i]!).toBeGreaterThanOrEqual(values[i - 1]!)
    for (let i = peak + 1; i < values.length; i++) expect(values[i]!).toBeLessThanOrEqual(values[i - 1]!)
  })

  it('SGDR restarts at the start of each cycle (1, 2, 4 epochs...)', () => {
    const f = sgdr(7, 1, 2) // cycles of 1, 2 and 4 epochs
    expect(f(0)).toBeCloseTo(1)
    expect(f(1 / 7 - 1e-9)).toBeLessThan(0.01)
    expect(f(1 / 7)).toBeCloseTo(1)
    expect(f(3 / 7)).toBeCloseTo(1)
    expect(f(1)).toBeCloseTo(1e-4)
    // a stage shorter than the cycles still ends annealed
    const short = sgdr(3, 2, 2)
    expect(short(2 / 3)).toBeCloseTo(1)
    expect(short(1)).toBeCloseTo(1e-4)
  })

  it('every named schedule stays within (0, 1]', () => {
    for (const schedule of ['one-cycle', 'cosine', 'sgdr', 'constant'] as const) {
      const f = scheduleFor(stageSchema.parse({ epochs: 5, lr: 1e-3, schedule }))
      for (const v of sample(f, 201)) {
        expect(v).toBeGreaterThan(0)
        expect(v).toBeLessThanOrEqual(1 + 1e-12)
      }
    }
  })
})

describe('per-group rates', () => {
  it('spreads [lo, hi] geometrically, head last (fastai slice)', () => {
    const r = evenMults(1e-5, 1e-3, 3)
    expect(r[0]).toBeCloseTo(1e-5)
    expect(r[1]).toBeCloseTo(1e-4)
    expect(r[2]).toBeCloseTo(1e-3)
    expect(groupRates(3e-3, 4)).toEqual([3e-3, 3e-3, 3e-3, 3e-3])
    expect(groupRates([1e-4, 1e-2], 1)).toEqual([1e-2])
  })

  it('freezeTo counts from the end when negative and always keeps the head', () => {
    // 4 backbone groups + head = 5 groups
    expect(firstThawedGroup(-1, 5)).toBe(4) // head only
    expect(firstThawedGroup(-2, 5)).toBe(3)
    expect(firstThawedGroup(0, 5)).toBe(0) // unfreeze
    expect(firstThawedGroup(2, 5)).toBe(2)
    expect(firstThawedGroup(99, 5)).toBe(4)
    expect(firstThawedGroup(-99, 5)).toBe(0)
  })
})

describe('plans', () => {
  it('presets are valid plans', () => {
    for (const make of Object.values(PRESETS)) expect(planSchema.safeParse(make()).success).toBe(true)
  })

  it('rejects bad stages with specific messages', () => {
    const bad = planSchema.safeParse({ stages: [{ epochs: 0, lr: [1e-2, 1e-4], schedule: 'warp' }] })
    expect(bad.success).toBe(false)
    const text = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n')
    expect(text).toMatch(/stages\.0\.epochs/)
    expect(text).toMatch(/stages\.0\.schedule/)
    expect(planSchema.safeParse({ stages: [] }).error!.issues[0]!.message).toMatch(/at least one stage/)
    expect(planSchema.safeParse({ stages: [{ epochs: 1, lr: [1e-2, 1e-4] }] }).error!.issues[0]!.message).toMatch(/lo <= hi/)
    expect(planSchema.safeParse({ stages: [{ epochs: 1, lr: 1e-3, bogus: 1 }] }).success).toBe(false)
  })
})

describe('planRates', () => {
  it('gives each group its own rate per stage, zero while frozen', () => {
    const stages = [
      stageSchema.parse({ freezeTo: -1, epochs: 2, lr: 1e-2, schedule: 'constant' }),
      stageSchema.parse({ freezeTo: -3, epochs: 1, lr: [1e-4, 1e-2], schedule: 'constant' })
    ]
    const { epochs, rates } = planRates(stages, 4, 2) // 3 backbone groups + head
    expect(epochs).toEqual([0, 0.5, 1, 1.5, 2, 2.5])
    expect(rates[3]).toEqual([1e-2, 1e-2, 1e-2, 1e-2, 1e-2, 1e-2]) // the head always trains
    expect(rates[0]).toEqual([0, 0, 0, 0, 0, 0]) // never thawed
    expect(rates[1]!.slice(0, 4)).toEqual([0, 0, 0, 0])
    expect(rates[1]![4]).toBeCloseTo(1e-4)
    expect(rates[2]![4]).toBeCloseTo(1e-3)
  })
})
