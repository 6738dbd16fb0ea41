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

  it('smooths a sudden slowdown instead of jumping', () => {
    let t = 0
    const eta = new EtaEstimator(() => t, 0.3)
    t = 1000
    eta.update(10, 100)
    t = 11000 // ten times slower for one step
    const after = eta.update(20, 100)!
    expect(after).toBeGreaterThan(8000)
    expect(after).toBeLessThan(80000)
  })
})
