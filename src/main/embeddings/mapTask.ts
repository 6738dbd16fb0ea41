// Runs in an engine worker: a 2-D map of every usable image's embedding. The features are
// projected to 256 floats (cosines kept), then PCA; UMAP (umap-js) on the first 50 principal
// components for sets it can do in seconds, PCA's first two components beyond that.
import { PCA } from 'ml-pca'
import { UMAP } from 'umap-js'
import type { EmbeddingMap } from '../../shared/types'
import { ThawError } from '../errors'
import type { TaskContext } from '../engine/protocol'
import { projectDb } from '../engine/runtime'
import type { ActivationSetKey } from '../precompute/activationStore'
import { mulberry32 } from '../util/random'
import { PROJECTED_DIM, projectedEmbeddings } from './source'

export type MapMethod = 'auto' | 'umap' | 'pca'

export interface MapArgs {
  projectDir: string
  key: ActivationSetKey
  method: MapMethod
  seed: number
}

/** Above this many distinct images, 'auto' uses PCA: umap-js's neighbour search and 200+ epochs
 * of layout grow past a few tens of seconds on one core. */
export const UMAP_AUTO_LIMIT = 3000
const PCA_COMPONENTS = 50

/** Principal components of rows [n * d]: the top `m` coordinates of each row, centred. */
export function pcaCoordinates(rows: Float32Array, n: number, d: number, m: number): Float64Array[] {
  const mean = new Float64Array(d)
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += rows[i * d + j]! / n
  // covariance d x d, accumulated row by row (no n x d float64 copy)
  const cov = new Float64Array(d * d)
  const c = new Float64Array(d)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) c[j] = rows[i * d + j]! - mean[j]!
    for (let a = 0; a < d; a++) {
      const ca = c[a]!
      if (ca === 0) continue
      for (let b = a; b < d; b++) cov[a * d + b]! += ca * c[b]!
    }
  }
  const matrix: number[][] = []
  for (let a = 0; a < d; a++) {
    const row = new Array<number>(d)
    for (let b = 0; b < d; b++) row[b] = (a <= b ? cov[a * d + b]! : cov[b * d + a]!) / Math.max(1, n - 1)
    matrix.push(row)
  }
  const pca = new PCA(matrix, { isCovarianceMatrix: true })
  const u = pca.getEigenvectors()
  const k = Math.min(m, d)
  const out = Array.from({ length: n }, () => new Float64Array(k))
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) c[j] = rows[i * d + j]! - mean[j]!
    for (let t = 0; t < k; t++) {
      let s = 0
      for (let j = 0; j < d; j++) s += c[j]! * u.get(j, t)
      out[i]![t] = s
    }
  }
  return out
}

export async function mapTask(args: MapArgs, ctx: TaskContext): Promise<EmbeddingMap> {
  const started = Date.now()
  const db = projectDb(args.projectDir)
  ctx.progress(0, 100, 'reading features')
  const { source, projected } = projectedEmbeddings(db, args.key, { includeExcluded: true })
  const n = source.hashes.length
  await ctx.checkpoint()
  const method: 'umap' | 'pca' = args.method === 'auto' ? (n <= UMAP_AUTO_LIMIT && n >= 16 ? 'umap' : 'pca') : args.method
  if (method === 'umap' && n < 16) throw new ThawError('BAD_ARGS', `a UMAP map needs at least 16 images; this project has ${n} (use PCA)`)
  let coords: number[][]
  if (n === 0) coords = []
  else if (method === 'pca') {
    ctx.progress(10, 100, 'PCA')
    coords = pcaCoordinates(projected, n, PROJECTED_DIM, 2).map((r) => [r[0] ?? 0, r[1] ?? 0])
  } else {
    ctx.progress(10, 100, 'PCA')
    const reduced = pcaCoordinates(projected, n, PROJECTED_DIM, PCA_COMPONENTS).map((r) => Array.from(r))
    const umap = new UMAP({ nComponents: 2, nNeighbors: Math.min(15, n - 1), minDist: 0.1, random: mulberry32(args.seed) })
    const epochs = umap.initializeFit(reduced)
    for (let e = 0; e < epochs; e++) {
      umap.step()
      if (e % 10 === 0) {
        ctx.progress(20 + Math.round((80 * e) / epochs), 100, `UMAP epoch ${e}/${epochs}`)
        await ctx.checkpoint()
        if (ctx.signal.aborted) throw new ThawError('CANCELLED', 'the embedding map was cancelled')
      }
    }
    coords = umap.getEmbedding()
  }
  const x: number[] = []
  const y: number[] = []
  source.images.forEach((_img, i) => {
    const p = coords[source.hashIndex[i]!] ?? [0, 0]
    x.push(p[0]!)
    y.push(p[1]!)
  })
  return {
    method,
    ids: source.images.map((i) => i.id),
    x,
    y,
    classIds: source.images.map((i) => i.classId),
    excluded: source.images.map((i) => i.excluded),
    ms: Date.now() - started
  }
}
