import { describe, expect, it } from 'vitest'
import { EtaEstimator } from '../../../src/main/jobs/eta'

describe('EtaEstimator', () => {
  it('has no estimate before any progress, then extrapolates the rate', () => {
    let t = 0
    const eta = new EtaEstimator(() => t)
    expect(eta.update(0, 100)).toBeNull()
    t = 1000
    expect(eta.update(10, 100)).toBe(9000)
    t = 2000
    expect(eta.update(20, 100)).toBe(8000)
  })

  it('does not jump when progress arrives in bursts', () => {
    let t = 0
    const eta = new EtaEstimator(() => t)
    eta.update(0, 1000)
    // 16 items land every second, reported in two halves 10 ms apart by two workers
    for (let s = 1; s <= 20; s++) {
      for (const [dt, done] of [
        [0, s * 16 - 8],
        [10, s * 16]
      ] as const) {
        t = s * 1000 + dt
        const estimate = eta.update(done, 1000)!
        const truth = ((1000 - done) / 16) * 1000
        if (s > 5) expect(Math.abs(estimate - truth) / truth).toBeLessThan(0.1)
      }
    }
  })

  it('follows a lasting change of speed within the window', () => {
    let t = 0
    const eta = new EtaEstimator(() => t, 5000)
    let done = 0
    eta.update(0, 2000)
    for (let s = 1; s <= 10; s++) {
      t = s * 1000
      done += 10
      eta.update(done, 2000)
    }
    for (let s = 11; s <= 20; s++) {
      t = s * 1000
      done += 50
      eta.update(done, 2000)
    }
    // the window only holds the fast part now: 50 items/s
    expect(eta.update(done, 2000)).toBeCloseTo(((2000 - done) / 50) * 1000, -2)
  })
})
