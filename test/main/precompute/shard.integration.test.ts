// The precompute pipeline over two engine workers and real images: with ONNX Runtime the worker
// that ran the first batch keeps going through everything (one pipeline, no restart), with TF.js
// it hands back all but its first batch to be spread over both workers; either way every image
// gets one row, made by the runtime that says so, and the stage times add up.
import Database from 'better-sqlite3'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { CHECK_TOLERANCE } from '../../../src/main/engine/onnx/tolerance'
import { decodeHalf } from '../../../src/main/precompute/float16'
import { DB_FILE } from '../../../src/main/project/project'
import { Studio } from '../../../src/main/studio/studio'
import type { PrecomputeResult } from '../../../src/shared/types'
import { isolatedEnv, smallHymenoptera } from '../../helpers/dataset'
import { tempDir } from '../../helpers/tmp'

isolatedEnv()
const dir = path.join(tempDir(), 'p')
const studios: Studio[] = []
const IMAGES = 28
const BATCH = 4

beforeAll(async () => {
  process.env.THAW_PRECOMPUTE_BATCH = String(BATCH) // 7 batches: enough to split over 2 workers
  const s = new Studio({ engineWorkers: 1 })
  await s.api().createProject({ path: dir })
  await s.api().importFolder({ root: smallHymenoptera(10, 4) })
  await s.close()
})
afterEach(async () => {
  for (const s of studios.splice(0)) await s.close()
})
afterAll(() => {
  delete process.env.THAW_PRECOMPUTE_BATCH
})

function rows(): Map<string, { runtime: string; values: Float32Array }> {
  const db = new Database(path.join(dir, DB_FILE))
  const out = new Map<string, { runtime: string; values: Float32Array }>()
  for (const r of db.prepare('SELECT hash, view, runtime, data FROM activations').all() as { hash: string; view: number; runtime: string; data: Buffer }[]) {
    out.set(`${r.hash}:${r.view}`, { runtime: r.runtime, values: decodeHalf(new Uint16Array(r.data.buffer, r.data.byteOffset, r.data.byteLength / 2)) })
  }
  db.exec('DELETE FROM activations')
  db.close()
  return out
}

async function precomputeOn(runtime: 'onnx' | 'tfjs'): Promise<PrecomputeResult> {
  const studio = new Studio({ engineWorkers: 2, runtime, provider: 'cpu' })
  studios.push(studio)
  await studio.api().openProject({ path: dir })
  return studio.api().precompute({ views: 0 })
}

function expectStagesOf(r: PrecomputeResult): void {
  expect(r.stages.batches).toBe(IMAGES / BATCH)
  for (const v of Object.values(r.stages)) expect(v).toBeGreaterThanOrEqual(0)
  expect(r.stages.forwardMs).toBeGreaterThan(0)
  expect(r.stages.firstForwardMs).toBeLessThanOrEqual(r.stages.forwardMs)
}

describe('precompute over two engine workers', () => {
  let onnx: Map<string, { runtime: string; values: Float32Array }>

  it('on ONNX Runtime: one worker runs every batch in one pipeline', async () => {
    const r = await precomputeOn('onnx')
    expect(r).toMatchObject({ computed: IMAGES, reused: 0, failed: [] })
    expect(r.frozen).toMatchObject({ runtime: 'onnx', workers: 1 })
    expect(r.cache.rows).toBe(IMAGES)
    expectStagesOf(r)
    expect(r.stages.shards).toBe(1)
    onnx = rows()
    expect(onnx.size).toBe(IMAGES)
    expect([...onnx.values()].every((row) => row.runtime === 'onnx')).toBe(true)
  }, 300_000)

  it('on TF.js: the first worker hands back the rest, spread over both, to the same rows', async () => {
    const r = await precomputeOn('tfjs')
    expect(r).toMatchObject({ computed: IMAGES, reused: 0, failed: [] })
    expect(r.frozen).toMatchObject({ runtime: 'tfjs', workers: 2 })
    expectStagesOf(r)
    expect(r.stages.shards).toBe(3) // the first batch, then one shard per worker
    const tfjs = rows()
    expect([...tfjs.keys()].sort()).toEqual([...onnx.keys()].sort())
    expect([...tfjs.values()].every((row) => row.runtime === 'tfjs')).toBe(true)
    for (const [k, t] of tfjs) {
      const o = onnx.get(k)!.values
      let diff = 0
      let scale = 0
      for (let i = 0; i < t.values.length; i++) {
        diff = Math.max(diff, Math.abs(o[i]! - t.values[i]!))
        scale = Math.max(scale, Math.abs(t.values[i]!))
      }
      expect(diff / scale).toBeLessThanOrEqual(CHECK_TOLERANCE)
    }
  }, 300_000)

  it('cancelled midway on ONNX Runtime, keeps the rows it wrote; the next run computes only the rest', async () => {
    const studio = new Studio({ engineWorkers: 2, runtime: 'onnx', provider: 'cpu' })
    studios.push(studio)
    await studio.api().openProject({ path: dir })
    // one image a batch: the cancel (at the second batch) has 26 batch boundaries to land on
    process.env.THAW_PRECOMPUTE_BATCH = '1'
    let cancelled = false
    studio.subscribe((e) => {
      // the shard stops at its next batch boundary
      if (e.event === 'jobProgress' && e.payload.kind === 'precompute' && e.payload.done >= 2 && !cancelled) {
        cancelled = true
        void studio.api().cancelJob({ jobId: e.payload.jobId })
      }
    })
    await expect(studio.api().precompute({ views: 0 })).rejects.toThrow(/cancel/i)
    expect(cancelled).toBe(true)
    const db = new Database(path.join(dir, DB_FILE), { readonly: true })
    const kept = (db.prepare('SELECT count(*) AS n FROM activations').get() as { n: number }).n
    db.close()
    expect(kept).toBeGreaterThanOrEqual(2)
    expect(kept).toBeLessThan(IMAGES)
    process.env.THAW_PRECOMPUTE_BATCH = String(BATCH)
    const rest = await studio.api().precompute({ views: 0 })
    expect(rest).toMatchObject({ computed: IMAGES - kept, reused: kept })
    expect(rows().size).toBe(IMAGES)
  }, 300_000)
})
