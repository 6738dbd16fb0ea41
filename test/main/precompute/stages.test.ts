import { describe, expect, it } from 'vitest'
import { emptyStages, sumStages } from '../../../src/main/precompute/stages'

describe('precompute stage times', () => {
  it('sums every stage over the shards and rounds to whole milliseconds', () => {
    const a = { ...emptyStages(), setupMs: 1.4, decodeWaitMs: 10.25, packMs: 3, forwardMs: 100.5, firstForwardMs: 40.2, encodeMs: 0.3, writeMs: 2.2, progressMs: 0.1, batches: 4, shards: 1 }
    const b = { ...emptyStages(), setupMs: 0.4, decodeWaitMs: 0.5, packMs: 1, forwardMs: 50, firstForwardMs: 20, encodeMs: 0.3, writeMs: 1.1, progressMs: 0.1, batches: 2, shards: 2 }
    expect(sumStages([a, b])).toEqual({ setupMs: 2, decodeWaitMs: 11, packMs: 4, forwardMs: 151, firstForwardMs: 60, encodeMs: 1, writeMs: 3, progressMs: 0, batches: 6, shards: 3 })
    expect(sumStages([])).toEqual(emptyStages())
  })
})
