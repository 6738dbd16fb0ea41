import { ThawError } from '../errors'
import { findSet, forEachActivation, type ActivationSet, type ActivationSetKey } from '../precompute/activationStore'
import type { Db } from '../store/db'
import type { Split } from '../../shared/types'
import { normalize, SparseProjection } from './projection'

/** A usable image of the project and where its embedding is: images with the same bytes share
 * one cached row, so they share one vector. */
export interface EmbeddedImage {
  id: number
  path: string
  hash: string
  split: Split
  classId: number | null
  excluded: boolean
}

export interface EmbeddingSource {
  images: EmbeddedImage[]
  /** distinct content hashes, in the order vectors are read */
  hashes: string[]
  /** for each image, the index of its hash in `hashes` */
  hashIndex: Int32Array
}

/** The usable images of a project (excluded ones only when asked), ordered by id. */
export function embeddedImages(db: Db, opts: { includeExcluded: boolean; splits?: Split[] }): EmbeddingSource {
  const where = [`status = 'ok'`, 'hash IS NOT NULL']
  if (!opts.includeExcluded) where.push('excluded = 0')
  const params: string[] = []
  if (opts.splits?.length) {
    where.push(`split IN (${opts.splits.map(() => '?').join(', ')})`)
    params.push(...opts.splits)
  }
  const rows = db
    .prepare(`SELECT id, path, hash, split, class_id AS classId, excluded FROM images WHERE ${where.join(' AND ')} ORDER BY id`)
    .all(...params) as (Omit<EmbeddedImage, 'excluded'> & { excluded: number })[]
  const images = rows.map((r) => ({ ...r, excluded: r.excluded === 1 }))
  const position = new Map<string, number>()
  const hashes: string[] = []
  const hashIndex = new Int32Array(images.length)
  images.forEach((img, i) => {
    let p = position.get(img.hash)
    if (p === undefined) {
      p = hashes.length
      position.set(img.hash, p)
      hashes.push(img.hash)
    }
    hashIndex[i] = p
  })
  return { images, hashes, hashIndex }
}

/** The error to show when some images have no cached features: what to run, in the user's words. */
export function missingFeatures(missing: number, total: number): ThawError {
  return new ThawError(
    'NO_CACHE',
    `${missing} of ${total} images have no cached features yet: run precompute first (the Precompute screen, or "thaw precompute <project>")`
  )
}

/** Streams the unit-length embedding (the cached plain view, concat-pooled) of every hash,
 * throwing NO_CACHE unless all are cached. */
export function forEachUnitEmbedding(db: Db, set: ActivationSet, hashes: string[], each: (i: number, unit: Float32Array) => void): void {
  const missing = forEachActivation(
    db,
    set,
    hashes.map((hash) => ({ hash, view: 0 })),
    (i, row) => each(i, normalize(row))
  )
  if (missing.length) throw missingFeatures(missing.length, hashes.length)
}

/** Dimensions the embeddings are projected to (a very sparse random projection keeps cosines):
 * what the duplicate search indexes and the map lays out. */
export const PROJECTED_DIM = 256

export interface ProjectedEmbeddings {
  set: ActivationSet
  source: EmbeddingSource
  /** one PROJECTED_DIM vector per distinct hash of `source`, back to back */
  projected: Float32Array
}

/** The cached set of `key` (NO_CACHE, saying what to run, when there is none), the project's
 * usable images, and each distinct content's unit embedding projected to PROJECTED_DIM floats:
 * 1 KB an image, never all features as float32. */
export function projectedEmbeddings(db: Db, key: ActivationSetKey, opts: { includeExcluded: boolean }): ProjectedEmbeddings {
  const set = findSet(db, key)
  if (!set) throw new ThawError('NO_CACHE', 'this project has no cached features yet: run precompute first (the Precompute screen, or "thaw precompute <project>")')
  const source = embeddedImages(db, opts)
  const n = source.hashes.length
  const projection = new SparseProjection(set.shape.reduce((a, b) => a * b, 1), PROJECTED_DIM, 1)
  const projected = new Float32Array(n * PROJECTED_DIM)
  forEachUnitEmbedding(db, set, source.hashes, (i, unit) => projection.projectUnit(unit, projected, i * PROJECTED_DIM))
  return { set, source, projected }
}
