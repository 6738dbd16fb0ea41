// The embeddings the duplicate search and the map share: one projected vector per distinct
// content, read from the cache, with the project's images and what to run when it is missing.
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { normalize, SparseProjection } from '../../../src/main/embeddings/projection'
import { PROJECTED_DIM, projectedEmbeddings } from '../../../src/main/embeddings/source'
import { ensureSet, writeActivations, type ActivationSetKey } from '../../../src/main/precompute/activationStore'
import { decodeHalf, encodeHalf } from '../../../src/main/precompute/float16'
import { ensureClass } from '../../../src/main/store/classes'
import { nowIso, openDatabase, type Db } from '../../../src/main/store/db'
import { mulberry32 } from '../../../src/main/util/random'
import { tempDir } from '../../helpers/tmp'

const KEY: ActivationSetKey = { backbone: 'bb', backboneSha256: 'sha', layer: 'l', reduce: 'concat-pool', inputSize: 224, preprocessing: 'p', augmentation: 'a' }
const DIM = 40
const hashOf = (i: number): string => i.toString(16).padStart(64, '0')

/** images 0..n-1; image i has the bytes (hash) of `contentOf(i)`; `excluded` images are marked so */
function project(n: number, contentOf: (i: number) => number, excluded: number[], cached: (content: number) => boolean): { db: Db; values: Map<number, Float32Array> } {
  const db = openDatabase(path.join(tempDir(), 't.sqlite'), { create: true })
  const cls = ensureClass(db, 'a')
  const insert = db.prepare(`INSERT INTO images (path, root, rel_path, hash, class_id, split, status, excluded, imported_at, updated_at) VALUES (?, '/r', ?, ?, ?, 'train', 'ok', ?, ?, ?)`)
  const values = new Map<number, Float32Array>()
  const rand = mulberry32(4)
  for (let i = 0; i < n; i++) {
    const c = contentOf(i)
    if (!values.has(c)) values.set(c, Float32Array.from({ length: DIM }, () => rand() * 6))
    insert.run(`/r/${i}.jpg`, `${i}.jpg`, hashOf(c), cls, excluded.includes(i) ? 1 : 0, nowIso(), nowIso())
  }
  const set = ensureSet(db, KEY, [DIM])
  writeActivations(
    db,
    set.id,
    [...values].filter(([c]) => cached(c)).map(([c, v]) => ({ hash: hashOf(c), view: 0, values: v }))
  )
  return { db, values }
}

describe('projected embeddings', () => {
  it('project each distinct content once, as its unit vector would be, copies sharing it', () => {
    // 150 images (enough to read by ranges), every fifth a copy of the one before
    const { db, values } = project(150, (i) => (i % 5 === 4 ? i - 1 : i), [7, 8], () => true)
    const p = projectedEmbeddings(db, KEY, { includeExcluded: false })
    expect(p.source.images.map((i) => i.id)).not.toContain(8)
    expect(p.source.images).toHaveLength(148)
    expect(p.source.hashes).toHaveLength(150 - 30 - 1) // 30 copies; image 7, excluded, was its content's only image
    expect(p.projected).toHaveLength(p.source.hashes.length * PROJECTED_DIM)
    const projection = new SparseProjection(DIM, PROJECTED_DIM, 1)
    p.source.hashes.forEach((hash, i) => {
      const stored = decodeHalf(encodeHalf(values.get(parseInt(hash, 16))!)) // the cache keeps float16
      const want = new Float32Array(PROJECTED_DIM)
      projection.projectUnit(normalize(stored), want)
      expect(Array.from(p.projected.subarray(i * PROJECTED_DIM, (i + 1) * PROJECTED_DIM))).toEqual(Array.from(want))
    })
    const copy = p.source.images.findIndex((img) => img.path === '/r/4.jpg')
    const original = p.source.images.findIndex((img) => img.path === '/r/3.jpg')
    expect(p.source.hashIndex[copy]).toBe(p.source.hashIndex[original])
    expect(projectedEmbeddings(db, KEY, { includeExcluded: true }).source.images).toHaveLength(150)
  })

  it('say what to run when there is no cache, or when images have no cached features', () => {
    const { db } = project(10, (i) => i, [], (c) => c !== 3 && c !== 6)
    expect(() => projectedEmbeddings(db, { ...KEY, layer: 'other' }, { includeExcluded: false })).toThrow(/no cached features yet: run precompute first/)
    expect(() => projectedEmbeddings(db, KEY, { includeExcluded: false })).toThrow(/2 of 10 images have no cached features yet: run precompute first/)
  })
})
