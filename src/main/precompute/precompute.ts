import type { FrozenRuntimeReport, PrecomputeResult, PrecomputeStatus } from '../../shared/types'
import { CHECK_TOLERANCE } from '../engine/onnx/tolerance'
import type { EnginePool } from '../engine/pool'
import type { BackboneDescription } from '../engine/tasks/describe'
import type { JobContext } from '../jobs/jobs'
import type { Project } from '../project/project'
import { cachedViews, findSet, setStats, type ActivationSetKey } from './activationStore'
import type { ShardArgs, ShardItem, ShardResult } from './shard'
import { sumStages } from './stages'
import { AUGMENTATION } from './augmentation'

export interface PrecomputeOptions {
  backbone: string
  /** augmented views per training image, on top of the plain one */
  views: number
  /** cut layer; the backbone's feature layer by default */
  layer?: string
  reduce?: ActivationSetKey['reduce']
  batchSize?: number
}


export function activationKey(d: BackboneDescription, layer: string, reduce: ActivationSetKey['reduce']): ActivationSetKey {
  return {
    backbone: d.spec.id,
    backboneSha256: d.sha256,
    layer,
    reduce,
    inputSize: d.spec.inputSize[0],
    preprocessing: JSON.stringify(d.spec.preprocessing),
    augmentation: AUGMENTATION
  }
}

/** The (image, view) pairs a project needs: the plain view of every usable image (excluded ones
 * too: it is their embedding, for duplicates, similar images and the map), plus `views`
 * augmented ones of each training image that is not excluded. Images with the same bytes share
 * their rows. */
export function wantedViews(project: Project, views: number): ShardItem[] {
  const rows = project.db
    .prepare(
      `SELECT hash, min(path) AS path, max(split = 'train' AND excluded = 0) AS train FROM images
       WHERE status = 'ok' AND hash IS NOT NULL GROUP BY hash ORDER BY min(id)`
    )
    .all() as { hash: string; path: string; train: number }[]
  const items: ShardItem[] = []
  for (const r of rows) {
    items.push({ hash: r.hash, path: r.path, view: 0 })
    if (r.train) for (let v = 1; v <= views; v++) items.push({ hash: r.hash, path: r.path, view: v })
  }
  return items
}

/** What the cache holds for the backbone's feature layer and `views`, and what a precompute would
 * compute: the same reckoning as precompute() below, without running anything. */
export function cacheStatus(project: Project, d: BackboneDescription, views: number): PrecomputeStatus {
  const key = activationKey(d, d.spec.featureLayer, 'concat-pool')
  const wanted = wantedViews(project, views)
  const set = findSet(project.db, key)
  const have = set ? cachedViews(project.db, set.id) : new Set<string>()
  let cached = 0
  let plainCached = 0
  let plain = 0
  for (const w of wanted) {
    const hit = have.has(`${w.hash}:${w.view}`)
    if (hit) cached++
    if (w.view === 0) {
      plain++
      if (hit) plainCached++
    }
  }
  return {
    backbone: d.spec.id,
    views,
    images: plain,
    wanted: wanted.length,
    cached,
    missing: wanted.length - cached,
    plain: { cached: plainCached, missing: plain - plainCached },
    bytes: set ? setStats(project.db, set.id).bytes : 0
  }
}

/** Batches sized to the backend: wasm (XNNPACK) gains little past 16 and needs the memory for two
 * workers; native TensorFlow keeps getting faster with larger batches, a GPU most of all. */
export function batchSizeFor(backend: { name: string; gpu: boolean }): number {
  if (backend.name !== 'tensorflow') return 16
  return backend.gpu ? 64 : 32
}

/** THAW_PRECOMPUTE_BATCH overrides the batch size (the bench measures batch sizes). */
function envBatch(): number {
  const n = Number(process.env.THAW_PRECOMPUTE_BATCH)
  return Number.isInteger(n) && n > 0 ? n : 0
}

/** One click: computes the activations that are missing (and only those), spread over the engine
 * workers, each writing its rows as it goes. Cancelling keeps what is done. */
export async function precompute(project: Project, pool: EnginePool, opts: PrecomputeOptions, job: JobContext): Promise<PrecomputeResult> {
  const started = Date.now()
  job.progress(0, 1, `loading ${opts.backbone}`)
  const d = await pool.run('describe', { backbone: opts.backbone }, { signal: job.signal })
  const layer = opts.layer ?? d.spec.featureLayer
  const key = activationKey(d, layer, opts.reduce ?? 'concat-pool')
  const wanted = wantedViews(project, opts.views)
  const set = findSet(project.db, key)
  const have = set ? cachedViews(project.db, set.id) : new Set<string>()
  const missing = wanted.filter((w) => !have.has(`${w.hash}:${w.view}`))
  const batchSize = opts.batchSize ?? (envBatch() || batchSizeFor(d.backend))

  const done: number[] = []
  const computeStarted = Date.now()
  job.progress(0, missing.length, `computing ${missing.length} activations`)
  const relay = (i: number) => ({
    signal: job.signal,
    onProgress: (n: number) => {
      done[i] = n
      const sum = done.reduce((a, b) => a + (b ?? 0), 0)
      const rate = sum / Math.max((Date.now() - computeStarted) / 1000, 1e-3)
      job.progress(sum, missing.length, `${layer} of ${d.spec.id}, ${rate.toFixed(1)} images/s`)
    }
  })
  const shard = (items: ShardItem[]): ShardArgs => ({ projectDir: project.dir, key, items, batchSize })
  const results: ShardResult[] = []
  let rest = missing
  let workers = 1
  if (missing.length > batchSize * 2 && pool.size > 1) {
    // The first batch decides the runtime (and checks it against TF.js). ONNX Runtime uses every
    // core from one worker, with decoding overlapped; TF.js wasm runs one thread per worker, so it
    // gets a worker per core. When ONNX Runtime is to run in one worker, that worker is handed
    // everything and keeps it if ONNX Runtime ran its first batch (no restart of its decoding
    // pipeline); otherwise it hands back what follows the first batch, to spread over workers.
    const single = onnxWorkers(pool.size) === 1
    const first = single ? { ...shard(missing), continueOn: ['onnx' as const] } : shard(missing.slice(0, batchSize))
    results.push(await pool.run('precompute', first, { ...relay(0), worker: 0 }))
    job.throwIfCancelled()
    rest = missing.slice(results[0]!.processed)
    workers = results[0]!.runtime?.runtime === 'onnx' ? onnxWorkers(pool.size) : pool.size
  }
  // Interleave so every worker gets a similar mix of images; one worker for small jobs, where
  // starting a second backend would cost more than it saves.
  workers = Math.min(workers, Math.max(1, Math.ceil(rest.length / (batchSize * 2))))
  const shards: ShardArgs[] = Array.from({ length: workers }, () => shard([]))
  rest.forEach((item, i) => shards[i % workers]!.items.push(item))
  const offset = results.length
  results.push(...(await pool.runEach('precompute', rest.length ? shards : [], (i) => relay(offset + i))))
  job.throwIfCancelled()
  const computed = results.reduce((n, r) => n + r.computed, 0)
  const after = findSet(project.db, key)
  return {
    computed,
    reused: wanted.length - missing.length,
    failed: results.flatMap((r) => r.failed),
    backend: d.backend.name,
    backbone: d.spec.id,
    backboneSha256: d.sha256,
    layer,
    views: opts.views,
    msPerImage: computed ? (Date.now() - computeStarted) / computed : 0,
    cache: after ? setStats(project.db, after.id) : { rows: 0, bytes: 0 },
    ms: Date.now() - started,
    frozen: frozenReport(results, workers),
    stages: sumStages(results.map((r) => r.timings))
  }
}

/** Engine workers a precompute on ONNX Runtime uses: one, whose session spreads over the cores
 * while sharp decodes the next batch (THAW_ONNX_WORKERS overrides it, for the bench). */
export function onnxWorkers(poolSize: number): number {
  const n = Number(process.env.THAW_ONNX_WORKERS)
  return Math.min(poolSize, Number.isInteger(n) && n > 0 ? n : 1)
}

/** What ran the shards, in the words of PrecomputeResult. */
export function frozenReport(results: ShardResult[], workers: number): FrozenRuntimeReport {
  const ran = results.find((r) => r.runtime)
  const status = ran?.runtime ?? null
  const settings = (ran ?? results[0])?.settings
  const preference = settings?.runtime ?? 'auto'
  if (!status) return { preference, runtime: null, provider: null, detail: 'nothing computed', reason: null, check: null, threads: null, workers: 0 }
  const onnx = status.runtime === 'onnx'
  const check = status.check && { maxAbsDiff: status.check.maxAbsDiff, relDiff: status.check.relDiff, images: status.check.images, tolerance: CHECK_TOLERANCE }
  return {
    preference,
    runtime: status.runtime,
    provider: status.provider?.name ?? null,
    detail: onnx ? `ONNX Runtime, ${status.provider?.detail ?? 'CPU'}` : `TF.js ${ran!.backendDetail}`,
    reason: status.reason ?? status.provider?.fallbackReason ?? null,
    check,
    threads: onnx ? (settings?.threads ?? null) : null,
    workers: results.length > 1 ? Math.max(1, workers) : 1
  }
}
