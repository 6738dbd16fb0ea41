// Where a precompute's time goes, stage by stage (PrecomputeStages). Free of engine imports: the
// shards fill it in the engine workers, precompute() sums it on the studio's main thread.
import type { PrecomputeStages } from '../../shared/types'

export function emptyStages(): PrecomputeStages {
  return { setupMs: 0, decodeWaitMs: 0, packMs: 0, forwardMs: 0, firstForwardMs: 0, encodeMs: 0, writeMs: 0, progressMs: 0, batches: 0, shards: 0 }
}

/** The shards' stage times, summed and rounded to whole milliseconds. */
export function sumStages(each: readonly PrecomputeStages[]): PrecomputeStages {
  const sum = emptyStages()
  const keys = Object.keys(sum) as (keyof PrecomputeStages)[]
  for (const s of each) for (const k of keys) sum[k] += s[k]
  for (const k of keys) sum[k] = Math.round(sum[k])
  return sum
}
