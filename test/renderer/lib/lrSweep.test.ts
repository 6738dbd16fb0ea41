import { describe, expect, it } from 'vitest'
import { HEAD_SWEEP_STEPS, lrSweepFor, THAWED_SWEEP_STEPS } from '../../../src/renderer/src/lib/lrSweep'
import { commands } from '../../../src/shared/contract'

describe('lrSweepFor', () => {
  it('keeps the full sweep for the head alone, and a coarser one for a stage that thaws backbone groups', () => {
    const head = { steps: HEAD_SWEEP_STEPS, coarse: false }
    const thawed = { steps: THAWED_SWEEP_STEPS, coarse: true }
    // 4 backbone groups + the head
    expect(lrSweepFor(-1, 5)).toEqual(head)
    expect(lrSweepFor(4, 5)).toEqual(head)
    expect(lrSweepFor(-2, 5)).toEqual(thawed)
    expect(lrSweepFor(0, 5)).toEqual(thawed)
    expect(lrSweepFor(2, 5)).toEqual(thawed)
  })

  it('counts only freezeTo -1 as the head while the groups are not known', () => {
    expect(lrSweepFor(-1, null).coarse).toBe(false)
    expect(lrSweepFor(-3, null).coarse).toBe(true)
    expect(lrSweepFor(0, null).coarse).toBe(true)
  })

  it('asks for sweep lengths the contract accepts, the head at its default', () => {
    const lrFind = commands.lrFind.args
    expect(lrFind.parse({}).steps).toBe(HEAD_SWEEP_STEPS)
    expect(lrFind.safeParse({ steps: THAWED_SWEEP_STEPS }).success).toBe(true)
    expect(THAWED_SWEEP_STEPS).toBeLessThan(HEAD_SWEEP_STEPS)
  })
})
