import { ThawError } from '../errors'
import type { Db } from '../store/db'
import { nowIso } from '../store/db'
import { decodeHalf, encodeHalf } from './float16'

/** Everything that changes the numbers of an activation, except the image (its content hash)
 * and the augmentation view. */
export interface ActivationSetKey {
  backbone: string
  backboneSha256: string
  layer: string
  /** 'concat-pool': [avg, max] over space, what the head needs; 'none': the full H x W x C map */
  reduce: 'concat-pool' | 'none'
  inputSize: number
  preprocessing: string
  augmentation: string
}

export interface ActivationSet extends ActivationSetKey {
  id: number
  shape: number[]
}

const DTYPE = 'float16'

export function findSet(db: Db, key: ActivationSetKey): ActivationSet | null {
  const row = db
    .prepare(
      `SELECT id, shape FROM activation_sets WHERE backbone = ? AND backbone_sha256 = ? AND layer = ? AND reduce = ?
       AND input_size = ? AND preprocessing = ? AND augmentation = ? AND dtype = ?`
    )
    .get(key.backbone, key.backboneSha256, key.layer, key.reduce, key.inputSize, key.preprocessing, key.augmentation, DTYPE) as
    | { id: number; shape: string }
    | undefined
  return row ? { ...key, id: row.id, shape: JSON.parse(row.shape) as number[] } : null
}

export function ensureSet(db: Db, key: ActivationSetKey, shape: number[]): ActivationSet {
  const found = findSet(db, key)
  if (found) {
    if (found.shape.join() !== shape.join()) {
      throw new ThawError('CACHE_MISMATCH', `activation set ${found.id} has shape ${found.shape} but the model now gives ${shape}`)
    }
    return found
  }
  db.prepare(
    `INSERT OR IGNORE INTO activation_sets (backbone, backbone_sha256, layer, reduce, input_size, preprocessing, augmentation, shape, dtype, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
  ).run(key.backbone, key.backboneSha256, key.layer, key.reduce, key.inputSize, key.preprocessing, key.augmentation, JSON.stringify(shape), DTYPE, nowIso())
  return findSet(db, key)!
}

/** Which (hash, view) pairs the set already holds. */
export function cachedViews(db: Db, setId: number): Set<string> {
  const rows = db.prepare('SELECT hash, view FROM activations WHERE set_id = ?').raw().iterate(setId) as Iterable<[string, number]>
  const have = new Set<string>()
  for (const [hash, view] of rows) have.add(`${hash}:${view}`)
  return have
}

/** Which runtime computed a row: ONNX Runtime or TF.js (see engine/onnx/frozen.ts for how far
 * they may differ). */
export type ActivationRuntime = 'onnx' | 'tfjs'

export function writeActivations(
  db: Db,
  setId: number,
  rows: { hash: string; view: number; values: Float32Array }[],
  runtime: ActivationRuntime = 'tfjs'
): void {
  const insert = db.prepare('INSERT OR REPLACE INTO activations (set_id, hash, view, data, runtime) VALUES (?, ?, ?, ?, ?)')
  db.transaction(() => {
    for (const r of rows) {
      const half = encodeHalf(r.values)
      insert.run(setId, r.hash, r.view, Buffer.from(half.buffer, half.byteOffset, half.byteLength), runtime)
    }
  })()
}

/** Reads activations for (hash, view) pairs into one Float32Array of [n, ...shape]. Throws if
 * any is missing, naming it: training must never silently use fewer images than it says. */
export function readActivations(db: Db, set: ActivationSet, keys: { hash: string; view: number }[]): Float32Array {
  const size = set.shape.reduce((a, b) => a * b, 1)
  const out = new Float32Array(keys.length * size)
  const get = db.prepare('SELECT data FROM activations WHERE set_id = ? AND hash = ? AND view = ?').pluck()
  keys.forEach((k, i) => {
    const data = get.get(set.id, k.hash, k.view) as Buffer | undefined
    if (!data) throw new ThawError('NO_CACHE', `no cached activation for image ${k.hash.slice(0, 12)} view ${k.view}; run precompute`)
    decodeHalf(new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2), out, i * size)
  })
  return out
}

/** Rows of a set by the runtime that computed them. */
export function rowsByRuntime(db: Db, setId: number): Partial<Record<ActivationRuntime, number>> {
  const rows = db.prepare('SELECT runtime, count(*) AS n FROM activations WHERE set_id = ? GROUP BY runtime').all(setId) as { runtime: ActivationRuntime; n: number }[]
  return Object.fromEntries(rows.map((r) => [r.runtime, r.n]))
}

export function setStats(db: Db, setId: number): { rows: number; bytes: number } {
  return db.prepare('SELECT count(*) AS rows, coalesce(sum(length(data)), 0) AS bytes FROM activations WHERE set_id = ?').get(setId) as {
    rows: number
    bytes: number
  }
}

/** Bytes one cached activation of this shape takes on disk (float16 plus row overhead). */
export const bytesPerActivation = (shape: number[]): number => shape.reduce((a, b) => a * b, 1) * 2 + 80

/** Calls `each(i, row)` with the decoded activation of every key in turn, reusing one buffer
 * (copy what you keep): reads a large set without holding it whole as float32. Returns the
 * indices of keys that have no row. */
export function forEachActivation(
  db: Db,
  set: ActivationSet,
  keys: { hash: string; view: number }[],
  each: (i: number, row: Float32Array) => void
): number[] {
  const size = set.shape.reduce((a, b) => a * b, 1)
  const row = new Float32Array(size)
  const get = db.prepare('SELECT data FROM activations WHERE set_id = ? AND hash = ? AND view = ?').pluck()
  const missing: number[] = []
  keys.forEach((k, i) => {
    const data = get.get(set.id, k.hash, k.view) as Buffer | undefined
    if (!data) {
      missing.push(i)
      return
    }
    decodeHalf(new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2), row, 0)
    each(i, row)
  })
  return missing
}
