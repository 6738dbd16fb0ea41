import type { PrecomputeResult } from '../../shared/types'
import type { EnginePool } from '../engine/pool'
import type { BackboneDescription } from '../engine/tasks/describe'
import type { JobContext } from '../jobs/jobs'
import type { Project } from '../project/project'
import { cachedViews, findSet, setStats, type ActivationSetKey } from './activationStore'
import type { ShardArgs, ShardItem, ShardResult } from './shard'
import { AUGMENTATION } from './views'

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

/** Batches sized to the backend: wasm (XNNPACK) gains little past 16 and needs the memory for two
 * workers; native TensorFlow keeps getting faster with larger batches, a GPU most of all. */
export function batchSizeFor(backend: { name: string; gpu: boolean }): number {
  if (backend.name !== 'tensorflow') return 16
  return backend.gpu ? 64 : 32
}

/** One click: computes the activations that are missing (and only those), spread over the engine
 * workers, each writing its rows as it goes. Cancelling keeps what is done. */
export async function precompute(project: Project, pool: EnginePool, opts: PrecomputeOptions, job: JobContext): Promise<PrecomputeResult> {
  const started = Date.now()
  job.progress(0, 1, `loading ${opts.backbone}`)
  const d = await pool.run<BackboneDescription>('describe', { backbone: opts.backbone }, { signal: job.signal })
  const layer = opts.layer ?? d.spec.featureLayer
  const key = activationKey(d, layer, opts.reduce ?? 'concat-pool')
  const wanted = wantedViews(project, opts.views)
  const set = findSet(project.db, key)
  const have = set ? cachedViews(project.db, set.id) : new Set<string>()
  const missing = wanted.filter((w) => !have.has(`${w.hash}:${w.view}`))
  const batchSize = opts.batchSize ?? batchSizeFor(d.backend)

  // Interleave so every worker gets a similar mix of images; one worker for small jobs, where
  // starting a second backend would cost more than it saves.
  const workers = Math.min(pool.size, Math.max(1, Math.ceil(missing.length / (batchSize * 2))))
  const shards: ShardArgs[] = Array.from({ length: workers }, () => ({ projectDir: project.dir, key, items: [], batchSize }))
  missing.forEach((item, i) => shards[i % workers]!.items.push(item))

  const done = new Array<number>(workers).fill(0)
  const computeStarted = Date.now()
  job.progress(0, missing.length, `computing ${missing.length} activations`)
  const results = await pool.runEach<ShardResult>('precompute', missing.length ? shards : [], (i) => ({
    signal: job.signal,
    onProgress: (n) => {
      done[i] = n
      const sum = done.reduce((a, b) => a + b, 0)
      const rate = sum / Math.max((Date.now() - computeStarted) / 1000, 1e-3)
      job.progress(sum, missing.length, `${layer} of ${d.spec.id}, ${rate.toFixed(1)} images/s`)
    }
  }))
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
    ms: Date.now() - started
  }
}
