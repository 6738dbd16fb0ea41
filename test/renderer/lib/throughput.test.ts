import { describe, expect, it } from 'vitest'
import { Throughput } from '../../../src/renderer/src/lib/throughput'

describe('Throughput', () => {
  it('measures from the first report of the phase, so loading the backbone does not count', () => {
    const t = new Throughput()
    t.add({ done: 0, total: 1, at: 0 })
    t.add({ done: 0, total: 50, at: 5000 })
    expect(t.perSecond()).toBeNull()
    t.add({ done: 20, total: 50, at: 6000 })
    t.add({ done: 50, total: 50, at: 7000 })
    expect(t.perSecond()).toBe(25)
  })

  it('waits for a moment of data, and restarts when the count goes back', () => {
    const t = new Throughput()
    t.add({ done: 0, total: 100, at: 0 })
    t.add({ done: 3, total: 100, at: 50 })
    expect(t.perSecond()).toBeNull()
    t.add({ done: 100, total: 100, at: 1000 })
    t.add({ done: 0, total: 100, at: 2000 })
    t.add({ done: 10, total: 100, at: 2500 })
    expect(t.perSecond()).toBe(20)
    t.reset()
    expect(t.perSecond()).toBeNull()
  })
})
