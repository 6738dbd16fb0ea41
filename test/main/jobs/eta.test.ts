import { describe, expect, it } from 'vitest'
import { EtaEstimator } from '../../../src/main/jobs/eta'

/** Drives an estimator with an injected clock: `at` ms, `done` items. */
function driver(total: number, opts?: ConstructorParameters<typeof EtaEstimator>[1]) {
  let t = 0
  const eta = new EtaEstimator(() => t, opts)
  return {
    at: (ms: number, done: number): number | null => {
      t = ms
      return eta.update(done, total)
    }
  }
}

describe('EtaEstimator', () => {
  it('says nothing during the start-up, then the steady rate', () => {
    const d = driver(1000)
    expect(d.at(0, 0)).toBeNull()
    // a backbone loading: 5 s before the first item, which must not count as slowness
    expect(d.at(5000, 10)).toBeNull()
    expect(d.at(6000, 20)).toBeNull()
    expect(d.at(7000, 30)).toBeNull()
    // 10 items/s, timed from the first item: 960 left at 8 s is 96 s
    expect(d.at(8000, 40)).toBe(96_000)
    for (let s = 9; s <= 30; s++) {
      const shown = d.at(s * 1000, (s - 4) * 10)!
      expect(Math.abs(shown - (1000 - (s - 4) * 10) * 100)).toBeLessThan(500)
    }
  })

  it('follows a steady rate from the first report', () => {
    const d = driver(1000)
    d.at(0, 0)
    for (let s = 1; s <= 30; s++) {
      const shown = d.at(s * 1000, s * 10)
      if (s < 4) expect(shown).toBeNull()
      else expect(Math.abs(shown! - (1000 - s * 10) * 100)).toBeLessThan(500)
    }
  })

  it('ends at 0 and has no estimate without progress', () => {
    const d = driver(100)
    expect(d.at(0, 0)).toBeNull()
    expect(d.at(5000, 0)).toBeNull()
    expect(d.at(6000, 100)).toBe(0)
  })

  it('does not jump when progress arrives in bursts', () => {
    const d = driver(1000)
    d.at(0, 0)
    let previous: { at: number; shown: number } | null = null
    // 16 items land every second, reported in two halves 10 ms apart by two workers
    for (let s = 1; s <= 40; s++) {
      for (const [dt, done] of [
        [0, s * 16 - 8],
        [10, s * 16]
      ] as const) {
        const at = s * 1000 + dt
        const shown = d.at(at, done)
        if (shown === null) continue
        const truth = ((1000 - done) / 16) * 1000
        if (s > 5) expect(Math.abs(shown - truth) / truth).toBeLessThan(0.1)
        // between two reports it moves with the clock, give or take a little
        if (previous) expect(Math.abs(shown - (previous.shown - (at - previous.at)))).toBeLessThan(1500)
        previous = { at, shown }
      }
    }
  })

  it('bends instead of jumping when a slow start gives way to full speed (26 min to 11 min in 10 s)', () => {
    // the case: the first batches are slow (2 items/s for 20 s), then 6 items/s
    const total = 4000
    const d = driver(total)
    let done = 0
    const shown: { at: number; ms: number }[] = []
    for (let s = 1; s <= 400 && done < total; s++) {
      done = Math.min(total, done + (s <= 20 ? 2 : 6))
      const ms = d.at(s * 1000, done)
      if (ms !== null) shown.push({ at: s * 1000, ms })
    }
    // no 10 s in which the time left falls by more than 10 s of clock and a fifth of itself
    for (let i = 0; i + 10 < shown.length; i++) {
      const [a, b] = [shown[i]!, shown[i + 10]!]
      expect(a.ms - b.ms, `from ${a.at / 1000} s`).toBeLessThan(b.at - a.at + 0.2 * a.ms)
    }
    // and it still arrives: 70 s after the change it is within 10% of the truth
    const later = shown.find((p) => p.at === 90_000)!
    const truth = ((total - (20 * 2 + 70 * 6)) / 6) * 1000
    expect(Math.abs(later.ms - truth) / truth).toBeLessThan(0.1)
  })

  it('counts down with the clock while no item lands between reports', () => {
    const d = driver(100)
    d.at(0, 0)
    d.at(1000, 10)
    const a = d.at(5000, 50)!
    // a second report at the same count, 500 ms later: the clock moved, the speed is unknown
    const b = d.at(5500, 50)!
    expect(b).toBeLessThanOrEqual(a)
  })

  it('starts again when the total changes (a job with phases)', () => {
    const d = driver(100)
    d.at(0, 0)
    d.at(1000, 10)
    expect(d.at(4000, 40)).not.toBeNull()
    let t = 4000
    const eta = new EtaEstimator(() => t)
    eta.update(0, 100)
    t = 5000
    expect(eta.update(0, 500)).toBeNull()
  })
})
