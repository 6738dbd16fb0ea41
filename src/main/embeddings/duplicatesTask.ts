// Runs in an engine worker: near-duplicate groups from the cached pooled features, without an
// n x n matrix. Each embedding is projected to 256 floats (a very sparse random projection,
// cosines kept), an HNSW index (usearch) gives every image its nearest neighbours in that
// space, and each candidate pair that could reach the threshold is checked with the exact
// cosine of the full features. Memory is the projected vectors and the index: about 2.3 KB an
// image (about 230 MB for 100,000 images), never the features of all images at once.
import { Index, MetricKind, ScalarKind } from 'usearch'
import type { DuplicateGroup, DuplicatesResult } from '../../shared/types'
import { ThawError } from '../errors'
import type { TaskContext } from '../engine/protocol'
import { projectDb } from '../engine/runtime'
import { forEachActivation, type ActivationSetKey } from '../precompute/activationStore'
import { groupPairs, type SimilarPair } from './grouping'
import { dot, normalize } from './projection'
import { embeddedImages, PROJECTED_DIM, projectedEmbeddings } from './source'

export interface DuplicatesArgs {
  projectDir: string
  key: ActivationSetKey
  threshold: number
  /** neighbours looked at per image (a group can still be larger: groups chain) */
  neighbours?: number
}

export { PROJECTED_DIM }
/** how far below the threshold a projected cosine may fall and still be checked exactly: the
 * projection's error on a cosine near 0.86 is about 0.012 (one standard deviation) */
const PROJECTION_MARGIN = 0.06

export async function duplicatesTask(args: DuplicatesArgs, ctx: TaskContext): Promise<DuplicatesResult> {
  const started = Date.now()
  if (!(args.threshold >= 0 && args.threshold <= 1)) throw new ThawError('BAD_ARGS', `the threshold must be between 0 and 1, not ${args.threshold}`)
  const db = projectDb(args.projectDir)
  ctx.progress(0, 3, 'reading features')
  const { set, source, projected } = projectedEmbeddings(db, args.key, { includeExcluded: false })
  const n = source.hashes.length
  await ctx.checkpoint()

  const pairs: SimilarPair[] = []
  const k = Math.min(args.neighbours ?? 10, Math.max(0, n - 1))
  let rssPeak = process.memoryUsage().rss
  if (n > 1 && k > 0) {
    ctx.progress(1, 3, `indexing ${n} images`)
    const index = new Index({ dimensions: PROJECTED_DIM, metric: MetricKind.Cos, quantization: ScalarKind.F32, connectivity: 16, expansion_add: 128, expansion_search: 64, multi: false })
    const keys = BigUint64Array.from({ length: n }, (_, i) => BigInt(i))
    const chunk = 4096
    for (let start = 0; start < n; start += chunk) {
      const end = Math.min(n, start + chunk)
      index.add(keys.subarray(start, end), projected.subarray(start * PROJECTED_DIM, end * PROJECTED_DIM), 0)
      if (ctx.signal.aborted) throw new ThawError('CANCELLED', 'the duplicate search was cancelled')
      await ctx.checkpoint()
    }
    ctx.progress(2, 3, 'searching neighbours')
    const floor = args.threshold - PROJECTION_MARGIN
    const candidates: [number, number][] = []
    for (let start = 0; start < n; start += chunk) {
      const end = Math.min(n, start + chunk)
      const found = searchBatch(index, projected.subarray(start * PROJECTED_DIM, end * PROJECTED_DIM), end - start, k + 1)
      const per = k + 1
      for (let q = 0; q < end - start; q++) {
        const count = found.counts[q]!
        for (let j = 0; j < count; j++) {
          const other = Number(found.keys[q * per + j])
          const a = start + q
          // usearch's cosine distance is 1 - cosine
          if (other > a && 1 - found.distances[q * per + j]! >= floor) candidates.push([a, other])
        }
      }
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss)
      if (ctx.signal.aborted) throw new ThawError('CANCELLED', 'the duplicate search was cancelled')
      await ctx.checkpoint()
    }
    // the exact cosine of the full features decides
    const exact = exactCosines(db, set, source.hashes, candidates)
    candidates.forEach(([a, b], i) => pairs.push({ a, b, similarity: exact[i]! }))
  }

  // groups of distinct contents, then every image of each content (exact-bytes copies)
  const groups = groupPairs(n, pairs, args.threshold)
  const grouped = new Set(groups.flatMap((g) => g.items))
  const byHash = new Map<number, number[]>()
  source.images.forEach((_img, i) => {
    const h = source.hashIndex[i]!
    let list = byHash.get(h)
    if (!list) byHash.set(h, (list = []))
    list.push(i)
  })
  const result: DuplicateGroup[] = []
  for (const g of groups) result.push(toGroup(source, g.items.flatMap((h) => byHash.get(h)!), g.similarity))
  for (const [h, imgs] of byHash) if (imgs.length > 1 && !grouped.has(h)) result.push(toGroup(source, imgs, 1))
  result.sort((x, y) => Number(y.leakage) - Number(x.leakage) || y.similarity - x.similarity || x.images[0]!.id - y.images[0]!.id)
  ctx.progress(3, 3, 'done')
  return { threshold: args.threshold, images: source.images.length, groups: result, ms: Date.now() - started, rssPeakBytes: rssPeak }
}

/** usearch answers one query with a Matches and several with a BatchMatches: one shape here. */
function searchBatch(index: Index, vectors: Float32Array, queries: number, k: number): { keys: BigUint64Array; distances: Float32Array; counts: number[] } {
  const found = index.search(vectors, k, 0) as unknown as { keys: BigUint64Array; distances: Float32Array; counts?: BigUint64Array }
  if (queries === 1 || !found.counts) {
    const keys = new BigUint64Array(k)
    const distances = new Float32Array(k)
    keys.set(found.keys.subarray(0, k))
    distances.set(found.distances.subarray(0, k))
    return { keys, distances, counts: [found.keys.length] }
  }
  return { keys: found.keys, distances: found.distances, counts: Array.from(found.counts, Number) }
}

function toGroup(source: ReturnType<typeof embeddedImages>, items: number[], similarity: number): DuplicateGroup {
  const images = items.map((i) => source.images[i]!).sort((a, b) => a.id - b.id)
  const splits = [...new Set(images.map((i) => i.split))].sort()
  const labels = new Set(images.map((i) => i.classId))
  return {
    images: images.map((i) => ({ id: i.id, path: i.path, hash: i.hash, split: i.split, classId: i.classId })),
    similarity,
    splits,
    leakage: splits.includes('train') && splits.includes('valid'),
    mixedLabels: labels.size > 1
  }
}

/** Rows of full features held at once while checking candidate pairs: 2,048 x 2,560 floats is
 * 21 MB (MobileNetV2's concat-pooled features), a bounded part of the worker's memory. */
export const EXACT_ROWS = 2048

/**
 * Exact cosines of the given pairs of hashes. Pairs are taken in order of their first item, in
 * chunks whose distinct rows fit EXACT_ROWS; each chunk's rows are read in one call (sorted
 * keys, ranges where they are dense: activationStore's readRows) and normalized once, instead of
 * a statement and a lookup per pair side. A pair whose row is missing gets 0.
 */
export function exactCosines(db: Parameters<typeof forEachActivation>[0], set: Parameters<typeof forEachActivation>[1], hashes: string[], pairs: [number, number][], maxRows = EXACT_ROWS): Float32Array {
  const out = new Float32Array(pairs.length)
  if (!pairs.length) return out
  const dim = set.shape.reduce((x, y) => x * y, 1)
  const limit = Math.max(2, Math.floor(maxRows))
  const order = pairs.map((_, i) => i).sort((x, y) => pairs[x]![0] - pairs[y]![0] || pairs[x]![1] - pairs[y]![1])
  const rows = new Float32Array(Math.min(limit, 2 * pairs.length) * dim)
  const found = new Uint8Array(Math.min(limit, 2 * pairs.length))
  // image index -> its row's slot in `rows` (slots in order of first use)
  const slot = new Map<number, number>()
  const take = (item: number): void => {
    if (!slot.has(item)) slot.set(item, slot.size)
  }
  for (let start = 0; start < order.length; ) {
    slot.clear()
    let end = start
    while (end < order.length) {
      const [a, b] = pairs[order[end]!]!
      const need = (slot.has(a) ? 0 : 1) + (slot.has(b) || b === a ? 0 : 1)
      if (slot.size + need > limit) break
      take(a)
      take(b)
      end++
    }
    const items = [...slot.keys()]
    found.fill(0)
    forEachActivation(
      db,
      set,
      items.map((item) => ({ hash: hashes[item]!, view: 0 })),
      (j, row) => {
        const unit = rows.subarray(j * dim, (j + 1) * dim)
        unit.set(row)
        normalize(unit)
        found[j] = 1
      }
    )
    for (let p = start; p < end; p++) {
      const i = order[p]!
      const sa = slot.get(pairs[i]![0])!
      const sb = slot.get(pairs[i]![1])!
      out[i] = found[sa] && found[sb] ? dot(rows.subarray(sa * dim, (sa + 1) * dim), rows, sb * dim) : 0
    }
    start = end
  }
  return out
}
