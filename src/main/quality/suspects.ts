// Suspected label errors, from the studio's side: which images are scored, the folds, the
// engine workers that train them, and the ranking. The last result is kept in the project so
// the review queue survives a restart.
import os from 'node:os'
import type { Split, Suspect, SuspectsResult } from '../../shared/types'
import { embeddingCache, requireComplete } from '../embeddings'
import type { EnginePool } from '../engine/pool'
import { ThawError } from '../errors'
import type { JobContext } from '../jobs/jobs'
import type { Project } from '../project/project'
import type { Db } from '../store/db'
import { findLabelIssues } from './confidentLearning'
import { stratifiedFolds } from './folds'
import type { SuspectsArgs } from './suspectsTask'

export interface SuspectItem {
  id: number
  hash: string
  path: string
  split: Split
  classId: number
  label: number
}

/** Labelled, usable, not excluded images of train and valid, ordered by content (so a result is
 * the same function of the seed whatever order the import wrote rows in); classes are those
 * with at least one such image, in the project's order. */
export function suspectItems(db: Db): { classes: { id: number; name: string }[]; items: SuspectItem[] } {
  const rows = db
    .prepare(
      `SELECT i.id, i.hash, i.path, i.split, c.id AS classId, c.name AS className FROM images i JOIN classes c ON c.id = i.class_id
       WHERE i.status = 'ok' AND i.excluded = 0 AND i.hash IS NOT NULL AND i.split IN ('train', 'valid')
       ORDER BY c.position, c.id, i.hash, i.id`
    )
    .all() as (Omit<SuspectItem, 'label'> & { className: string })[]
  const classes: { id: number; name: string }[] = []
  const index = new Map<number, number>()
  const items = rows.map((r) => {
    let label = index.get(r.classId)
    if (label === undefined) {
      label = classes.length
      index.set(r.classId, label)
      classes.push({ id: r.classId, name: r.className })
    }
    return { id: r.id, hash: r.hash, path: r.path, split: r.split, classId: r.classId, label }
  })
  return { classes, items }
}

export interface SuspectsOptions {
  folds: number
  seed: number
}

const META_KEY = 'suspects'

export async function findSuspects(project: Project, pool: EnginePool, opts: SuspectsOptions, job: JobContext): Promise<SuspectsResult> {
  const started = Date.now()
  const { classes, items } = suspectItems(project.db)
  if (classes.length < 2) {
    throw new ThawError('NOT_ENOUGH_LABELS', `finding label errors needs labelled images of at least two classes; this project has ${classes.length === 0 ? 'none' : `only "${classes[0]!.name}"`}`)
  }
  if (items.length < 2 * opts.folds) {
    throw new ThawError('NOT_ENOUGH_LABELS', `${opts.folds} folds need at least ${2 * opts.folds} labelled images; this project has ${items.length} (use fewer folds)`)
  }
  job.progress(0, opts.folds, 'checking the cache')
  const cache = requireComplete(await embeddingCache(project, pool, job.signal))
  const fold = stratifiedFolds(
    items.map((it) => it.label),
    opts.folds,
    opts.seed
  )
  // images with the same bytes share a fold: a copy in another fold would let a head see the
  // label it is scoring
  const foldOfHash = new Map<string, number>()
  items.forEach((it, i) => {
    const f = foldOfHash.get(it.hash)
    if (f === undefined) foldOfHash.set(it.hash, fold[i]!)
    else fold[i] = f
  })
  const workers = Math.min(pool.size, opts.folds)
  const shares: number[][] = Array.from({ length: workers }, () => [])
  for (let f = 0; f < opts.folds; f++) shares[f % workers]!.push(f)
  const taskItems = items.map((it, i) => ({ hash: it.hash, label: it.label, fold: fold[i]! }))
  // the workers train at the same time: each takes its share of the cores (two native steps of
  // two threads each on two cores were slower than one thread each)
  const threads = Math.max(1, Math.floor(os.availableParallelism() / workers))
  const done = new Array<number>(workers).fill(0)
  const results = await pool.runEach(
    'suspects',
    shares.map((folds): SuspectsArgs => ({ projectDir: project.dir, key: cache.key, classes: classes.length, items: taskItems, folds, seed: opts.seed, threads })),
    (w) => ({
      signal: job.signal,
      onProgress: (n) => {
        done[w] = n
        job.progress(
          done.reduce((a, b) => a + b, 0),
          opts.folds,
          'training a head per fold on the cached features'
        )
      }
    })
  )
  job.throwIfCancelled()
  const k = classes.length
  const probs = new Float32Array(items.length * k)
  const seen = new Uint8Array(items.length)
  for (const r of results) {
    r.items.forEach((item, j) => {
      probs.set(r.probs.slice(j * k, (j + 1) * k), item * k)
      seen[item] = 1
    })
  }
  if (seen.some((s) => s === 0)) throw new Error('a fold returned no predictions for some images')
  const { thresholds, issues } = findLabelIssues(
    probs,
    items.map((it) => it.label),
    k
  )
  const suspects: Suspect[] = issues.map((issue) => {
    const it = items[issue.index]!
    return {
      imageId: it.id,
      path: it.path,
      hash: it.hash,
      split: it.split,
      label: classes[issue.label]!.name,
      suggested: classes[issue.suggested]!.name,
      suggestedClassId: classes[issue.suggested]!.id,
      score: issue.score,
      labelProb: probs[issue.index * k + issue.label]!,
      suggestedProb: probs[issue.index * k + issue.suggested]!
    }
  })
  const result: SuspectsResult = {
    folds: opts.folds,
    seed: opts.seed,
    images: items.length,
    classes: classes.map((c) => c.name),
    thresholds: Object.fromEntries(classes.map((c, i) => [c.name, thresholds[i]!])),
    suspects,
    ms: Date.now() - started,
    computedAt: new Date().toISOString()
  }
  project.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(META_KEY, JSON.stringify(result))
  return result
}

/** The review queue: the last suspects still worth a look (the label is still the one suspected,
 * the image not excluded, not kept with this label). */
export function suspectQueue(db: Db): SuspectsResult | null {
  const text = db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(META_KEY) as string | undefined
  if (!text) return null
  const result = JSON.parse(text) as SuspectsResult
  const current = db.prepare(
    `SELECT c.name AS label, i.excluded, r.class_id AS keptClass, i.class_id AS classId FROM images i
     LEFT JOIN classes c ON c.id = i.class_id LEFT JOIN label_reviews r ON r.image_id = i.id WHERE i.id = ?`
  )
  const suspects = result.suspects.filter((s) => {
    const row = current.get(s.imageId) as { label: string | null; excluded: number; keptClass: number | null; classId: number | null } | undefined
    return !!row && row.label === s.label && row.excluded === 0 && row.keptClass !== row.classId
  })
  return { ...result, suspects }
}
