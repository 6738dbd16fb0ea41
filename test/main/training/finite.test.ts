// NaN and Infinity stop a run with a clear error naming the images, and never reach a person as
// "undefined (NaN%)" (issue #12 item 6).
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkLoss, checkProbabilities, nonFiniteRows } from '../../../src/main/training/finite'
import { Studio } from '../../../src/main/studio/studio'
import { isolatedEnv, smallHymenoptera } from '../../helpers/dataset'
import { tempDir } from '../../helpers/tmp'

isolatedEnv()

describe('finiteness checks', () => {
  it('finds the rows holding NaN or Infinity', () => {
    const v = Float32Array.from([1, 2, 3, NaN, 5, 6, 7, 8, -Infinity, 0, 0, 0])
    expect(nonFiniteRows(v, 3)).toEqual([1, 2])
    expect(nonFiniteRows(new Float32Array(6), 3)).toEqual([])
  })

  it('a NaN loss stops the run in words', () => {
    expect(() => checkLoss(0.5, { stage: 0, name: 'head', epoch: 0, batch: 0 })).not.toThrow()
    expect(() => checkLoss(NaN, { stage: 1, name: 'all', epoch: 2, batch: 4 })).toThrow(
      expect.objectContaining({ code: 'NOT_FINITE', message: expect.stringMatching(/^the loss became NaN at stage 2 \("all"\), epoch 3, batch 5: training diverged/) })
    )
    expect(() => checkLoss(Infinity, { stage: 0, name: 'head', epoch: 0 })).toThrow(/epoch 1 \(validation\)/)
  })

  it('probabilities with a NaN are an error, not a label', () => {
    expect(checkProbabilities([0.2, 0.8])).toBeNull()
    expect(checkProbabilities([NaN, NaN])).toMatch(/no finite probabilities/)
  })
})

describe('a damaged activation row', () => {
  const studio = new Studio({ engineWorkers: 1 })
  const api = studio.api()

  beforeAll(async () => {
    await api.createProject({ path: path.join(tempDir(), 'p') })
    await api.importFolder({ root: smallHymenoptera(4, 2) })
    await api.precompute({})
  }, 180_000)
  afterAll(() => studio.close())

  it('stops train with an error naming the image, drops the row, and the next train recomputes it', async () => {
    const db = studio.project().db
    const row = db
      .prepare(`SELECT a.set_id AS setId, a.hash, a.view, length(a.data) AS bytes, i.path FROM activations a JOIN images i ON i.hash = a.hash WHERE i.split = 'train' ORDER BY i.path LIMIT 1`)
      .get() as { setId: number; hash: string; view: number; bytes: number; path: string }
    // float16 NaN is 0x7e00; one value is enough
    const data = Buffer.alloc(row.bytes)
    data.writeUInt16LE(0x7e00, 0)
    db.prepare('UPDATE activations SET data = ? WHERE set_id = ? AND hash = ? AND view = ?').run(data, row.setId, row.hash, row.view)

    await expect(api.train({ epochs: 1 })).rejects.toMatchObject({
      code: 'NOT_FINITE',
      message: expect.stringContaining(`the cached activations of 1 image hold NaN or Infinity: ${row.path}`)
    })
    expect(db.prepare('SELECT count(*) FROM activations WHERE set_id = ? AND hash = ? AND view = ?').pluck().get(row.setId, row.hash, row.view)).toBe(0)
    const r = await api.train({ epochs: 1 })
    expect(Number.isFinite(r.epochs[0]!.trainLoss)).toBe(true)
  })
})
