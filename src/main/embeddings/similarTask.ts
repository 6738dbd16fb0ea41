// Runs in an engine worker: the images most like a query image, by cosine similarity of their
// cached pooled features. Exact: one pass over the cache, O(k) memory beyond one row.
import path from 'node:path'
import type { SimilarImage, Split } from '../../shared/types'
import { ThawError } from '../errors'
import { engine, projectDb } from '../engine/runtime'
import { findSet, forEachActivation, type ActivationSetKey } from '../precompute/activationStore'
import { embedImage } from './embedImage'
import { TopK } from './nearest'
import { dot, normalize } from './projection'
import { embeddedImages, forEachUnitEmbedding } from './source'

export type SimilarQuery = { imageId: number } | { path: string } | { bytes: Uint8Array }

export interface SimilarArgs {
  projectDir: string
  key: ActivationSetKey
  query: SimilarQuery
  k: number
  /** only images of these splits (all when absent) */
  splits?: Split[]
  includeExcluded?: boolean
}

export interface SimilarResult {
  /** the project image the query is, if it is one */
  queryImageId: number | null
  similar: SimilarImage[]
}

export async function similarTask(args: SimilarArgs): Promise<SimilarResult> {
  const db = projectDb(args.projectDir)
  const set = findSet(db, args.key)
  if (!set) throw new ThawError('NO_CACHE', 'this project has no cached features yet: run precompute first (the Precompute screen, or "thaw precompute <project>")')

  // the query: a project image (its cached row) or any picture (embedded now)
  let queryId: number | null = null
  let queryHash: string | null = null
  if ('imageId' in args.query) {
    const row = db.prepare(`SELECT id, hash, status FROM images WHERE id = ?`).get(args.query.imageId) as { id: number; hash: string | null; status: string } | undefined
    if (!row) throw new ThawError('NO_SUCH_IMAGE', `there is no image with id ${args.query.imageId}`)
    if (row.status !== 'ok' || !row.hash) throw new ThawError('NOT_USABLE', `image ${row.id} is not usable (${row.status}), so it has no features`)
    queryId = row.id
    queryHash = row.hash
  } else if ('path' in args.query) {
    const abs = path.resolve(args.query.path)
    const row = db.prepare(`SELECT id, hash FROM images WHERE path = ? AND status = 'ok' AND hash IS NOT NULL`).get(abs) as { id: number; hash: string } | undefined
    if (row) {
      queryId = row.id
      queryHash = row.hash
    }
  }
  let query: Float32Array | null = null
  if (queryHash) {
    forEachActivation(db, set, [{ hash: queryHash, view: 0 }], (_i, row) => (query = normalize(Float32Array.from(row))))
  }
  if (!query) {
    await engine()
    const input = 'bytes' in args.query ? args.query.bytes : 'path' in args.query ? path.resolve(args.query.path) : null
    if (input === null) throw new ThawError('NO_CACHE', `image ${queryId} has no cached features yet: run precompute first`)
    query = normalize(await embedImage(args.key, input))
  }

  const source = embeddedImages(db, { includeExcluded: args.includeExcluded ?? false, ...(args.splits ? { splits: args.splits } : {}) })
  const sims = new Float32Array(source.hashes.length)
  const q = query as Float32Array
  forEachUnitEmbedding(db, set, source.hashes, (i, unit) => (sims[i] = dot(q, unit)))
  const top = new TopK(args.k)
  source.images.forEach((img, i) => {
    if (img.id !== queryId) top.offer(i, sims[source.hashIndex[i]!]!)
  })
  return {
    queryImageId: queryId,
    similar: top.result().map(({ item, score }) => {
      const img = source.images[item]!
      return { imageId: img.id, path: img.path, hash: img.hash, split: img.split, classId: img.classId, excluded: img.excluded, similarity: Math.min(1, score) }
    })
  }
}
