import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { ImageFilter } from '../../../src/shared/types'
import { openDatabase, type Db } from '../../../src/main/store/db'
import { queryImages } from '../../../src/main/store/images'
import { setExcluded } from '../../../src/main/store/labels'
import { beginRun, saveModel } from '../../../src/main/training/modelStore'
import { writePredictions } from '../../../src/main/training/predictionStore'
import { tempDir } from '../../helpers/tmp'

const classes = ['ants', 'bees']

/** 60 images: alternating classes, every 7th unlabelled, every 4th in valid, two pairs of copies,
 * every 3rd excluded after; a chosen model scored all but every 5th image. */
function project(): { db: Db; model: number } {
  const db = openDatabase(path.join(tempDir(), 'p.sqlite'), { create: true })
  const ids = classes.map((name, i) => Number(db.prepare(`INSERT INTO classes (name, position, created_at) VALUES (?, ?, 'now')`).run(name, i).lastInsertRowid))
  const add = db.prepare(
    `INSERT INTO images (path, root, rel_path, hash, class_id, split, status, imported_at, updated_at) VALUES (?, '/r', ?, ?, ?, ?, 'ok', 'now', 'now')`
  )
  for (let i = 0; i < 60; i++) {
    const hash = i === 11 ? 'h10' : i === 31 ? 'h30' : `h${i}`
    add.run(`/r/${i}.jpg`, `${i}.jpg`, hash, i % 7 === 6 ? null : ids[i % 2]!, i % 4 === 3 ? 'valid' : 'train')
  }
  beginRun(db, { runId: 'r', backbone: 'b', plan: { name: 'head only', stages: [] }, seed: 1, views: 0, auto: false })
  const model = saveModel(
    db,
    { backbone: 'b', backboneSha256: 's', classes, plan: { name: 'head only' }, report: { valid: { accuracy: 1, loss: 0 }, epochs: [] }, run: { runId: 'r', seed: 1, views: 0, datasetSha256: 'd' } },
    { topology: '{}', weightData: Buffer.alloc(8) }
  )
  const rows = []
  for (let i = 0; i < 60; i++) if (i % 5 !== 4) rows.push({ hash: `h${i}`, probs: Float32Array.from([(i % 10) / 10, 1 - (i % 10) / 10]) })
  writePredictions(db, model, classes, rows)
  setExcluded(
    db,
    Array.from({ length: 20 }, (_, k) => 3 * k + 1),
    true
  )
  return { db, model }
}

/** The query as it was: predictions joined before paging (the reference the faster path must equal). */
function reference(db: Db, where: string, params: unknown[], model: number, offset: number, limit: number): unknown[] {
  return db
    .prepare(
      `SELECT i.id, p.predicted FROM images i LEFT JOIN model_predictions p ON p.model_id = ? AND p.hash = i.hash ${where} ORDER BY i.id LIMIT ? OFFSET ?`
    )
    .all(model, ...params, limit, offset)
    .map((r) => {
      const row = r as { id: number; predicted: string | null }
      return [row.id, row.predicted]
    })
}

describe('a page of images with the chosen model’s predictions', () => {
  const cases: [string, ImageFilter, string, unknown[]][] = [
    ['every image', {}, '', []],
    ['one class', { classId: 2 }, 'WHERE i.class_id = ?', [2]],
    ['unlabelled', { classId: 'unlabelled' }, 'WHERE i.class_id IS NULL', []],
    ['valid', { split: 'valid' }, 'WHERE i.split = ?', ['valid']],
    ['usable', { status: 'ok' }, `WHERE i.status = 'ok' AND i.excluded = 0`, []],
    ['excluded', { status: 'excluded' }, 'WHERE i.excluded = 1', []]
  ]
  for (const [name, filter, where, params] of cases) {
    it(`pages "${name}" exactly as joining the predictions first did, at every offset`, () => {
      const { db, model } = project()
      const total = (db.prepare(`SELECT count(*) FROM images i ${where}`).pluck().get(...params) as number)
      expect(total).toBeGreaterThan(0)
      for (const [offset, limit] of [
        [0, 7],
        [5, 7],
        [21, 10],
        [total - 3, 10],
        [total + 5, 10]
      ] as const) {
        const page = queryImages(db, filter, offset, limit, model)
        expect(page.total).toBe(total)
        expect(page.items.map((it) => [it.id, it.prediction?.predicted ?? null])).toEqual(reference(db, where, params, model, offset, limit))
      }
    })
  }

  it('carries each item’s prediction, disagreement and copies on the faster path too', () => {
    const { db, model } = project()
    const items = queryImages(db, {}, 0, 60, model).items
    const byId = new Map(items.map((it) => [it.id, it]))
    // id 3 (index 2, ants): probs [0.2, 0.8] -> bees, disagrees; id 9 (index 8, ants): [0.8, 0.2] -> ants, agrees
    expect(byId.get(3)!.prediction).toMatchObject({ predicted: 'bees', disagrees: true })
    expect(byId.get(9)!.prediction).toMatchObject({ predicted: 'ants', disagrees: false })
    // id 8 (index 7, bees): [0.7, 0.3] -> ants, disagrees; id 10 (index 9) was not scored
    expect(byId.get(8)!.prediction).toMatchObject({ predicted: 'ants', disagrees: true })
    expect(byId.get(10)!.prediction).toBeNull()
    expect(byId.get(5)!.prediction).toBeNull() // index 4: not scored
    expect(byId.get(11)!.status).toBe('warning') // same bytes as image 12 (hash h10)
    expect(byId.get(12)!.status).toBe('warning')
    // the prediction filters still work (they take the joined path)
    const disagreeing = queryImages(db, { disagrees: true }, 0, 60, model).items
    expect(disagreeing.length).toBeGreaterThan(0)
    for (const it of disagreeing) expect(it.prediction?.disagrees).toBe(true)
  })
})

describe('where an image sits under a filter', () => {
  it('is its index in the pages, with or without a prediction filter, and null outside the filter', async () => {
    const { indexOfImage } = await import('../../../src/main/store/images')
    const { db, model } = project()
    for (const filter of [{}, { classId: 2 }, { status: 'ok' as const }, { disagrees: true }, { order: 'margin' as const }]) {
      const all = queryImages(db, filter, 0, 100, model).items.map((it) => it.id)
      for (const id of [2, 3, 8, 30, 59]) expect(indexOfImage(db, id, filter, model)).toBe(all.includes(id) ? all.indexOf(id) : null)
    }
  })
})
