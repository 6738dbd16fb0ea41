// The embeddings of a project, seen from the studio (main thread): the cached pooled features of
// its backbone's feature layer. Everything that reads vectors runs in an engine worker; this
// file finds the cache and asks. `similarImages` is what "more like this", `thaw similar` and
// the try-it panel's "nearest training images" call.
import type { SimilarImage, Split } from '../../shared/types'
import type { EnginePool } from '../engine/pool'
import { ThawError } from '../errors'
import { findSet, type ActivationSet, type ActivationSetKey } from '../precompute/activationStore'
import { activationKey } from '../precompute/precompute'
import type { Project } from '../project/project'
import type { SimilarArgs, SimilarQuery, SimilarResult } from './similarTask'

export type { SimilarQuery, SimilarResult }

export interface EmbeddingCache {
  key: ActivationSetKey
  set: ActivationSet
  /** usable images without a cached plain view */
  missing: number
  images: number
}

/** The activation set that holds the project's embeddings: the plain view of every usable
 * image at the backbone's feature layer, concat-pooled (what precompute builds by default). */
export async function embeddingCache(project: Project, pool: EnginePool, signal?: AbortSignal): Promise<EmbeddingCache> {
  const backbone = project.info().backbone
  const d = await pool.run('describe', { backbone }, signal ? { signal } : {})
  const key = activationKey(d, d.spec.featureLayer, 'concat-pool')
  const set = findSet(project.db, key)
  const images = project.db.prepare(`SELECT count(DISTINCT hash) FROM images WHERE status = 'ok' AND hash IS NOT NULL`).pluck().get() as number
  if (!set) {
    throw new ThawError('NO_CACHE', `this project has no cached features for ${backbone} yet: run precompute first (the Precompute screen, or "thaw precompute <project>")`)
  }
  const cached = project.db
    .prepare(`SELECT count(*) FROM (SELECT DISTINCT hash FROM images WHERE status = 'ok' AND hash IS NOT NULL) i JOIN activations a ON a.set_id = ? AND a.hash = i.hash AND a.view = 0`)
    .pluck()
    .get(set.id) as number
  return { key, set, missing: images - cached, images }
}

/** Throws NO_CACHE (saying what to run) unless every usable image has its features cached. */
export function requireComplete(cache: EmbeddingCache): EmbeddingCache {
  if (cache.missing > 0) {
    throw new ThawError(
      'NO_CACHE',
      `${cache.missing} of ${cache.images} images have no cached features yet: run precompute first (the Precompute screen, or "thaw precompute <project>")`
    )
  }
  return cache
}

export interface SimilarOptions {
  k?: number
  /** e.g. ['train'] for "the nearest training images" */
  splits?: Split[]
  /** excluded images are left out unless asked for */
  includeExcluded?: boolean
  signal?: AbortSignal
}

/** The k images of the project most like the query (a project image by id, an image file
 * anywhere, or image bytes), most similar first, with their cosine similarity. A query that is
 * not in the project is decoded by the guarded decoder and embedded in an engine worker. */
export async function similarImages(project: Project, pool: EnginePool, query: SimilarQuery, opts: SimilarOptions = {}): Promise<SimilarResult> {
  const cache = requireComplete(await embeddingCache(project, pool, opts.signal))
  const args: SimilarArgs = {
    projectDir: project.dir,
    key: cache.key,
    query,
    k: opts.k ?? 10,
    ...(opts.splits ? { splits: opts.splits } : {}),
    ...(opts.includeExcluded ? { includeExcluded: true } : {})
  }
  return pool.run('similar', args, opts.signal ? { signal: opts.signal } : {})
}

export type { SimilarImage }
