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
  writeEncoded(
    db,
    setId,
    rows.map((r) => ({ hash: r.hash, view: r.view, half: encodeHalf(r.values) })),
    runtime
  )
}

/** The same for rows already encoded as float16 (precompute times the two apart), in one
 * transaction. */
export function writeEncoded(db: Db, setId: number, rows: readonly { hash: string; view: number; half: Uint16Array }[], runtime: ActivationRuntime = 'tfjs'): void {
  const insert = db.prepare('INSERT OR REPLACE INTO activations (set_id, hash, view, data, runtime) VALUES (?, ?, ?, ?, ?)')
  db.transaction(() => {
    for (const r of rows) insert.run(setId, r.hash, r.view, Buffer.from(r.half.buffer, r.half.byteOffset, r.half.byteLength), runtime)
  })()
}

/** At or above this many keys, rows are read by ranges of the table's key instead of one
 * lookup each: measured on 10,000 cached rows, a lookup costs about 30 us (a B-tree descent
 * through pages of 5 KB rows) and a row of a range scan about 8 us. */
export const RANGE_READ_MIN = 64
/** keys per range: sorted by (view, hash), a chunk of them spans [first, last] of the table */
const RANGE_KEYS = 256
/** a range stops after this many rows per key that were not asked for (keys sparse among the
 * set's rows) and looks the rest up one by one, so a range never costs much more than lookups */
const RANGE_WASTE = 2

/**
 * Calls `each(indices, data)` once per distinct (hash, view) of `keys` that the set holds, with
 * the positions in `keys` that ask for it and its float16 bytes; returns the positions of keys
 * with no row. Order is not the keys' order. Nothing else runs on the connection during `each`.
 */
export function readRows(db: Db, setId: number, keys: readonly { hash: string; view: number }[], each: (indices: number[], data: Buffer) => void): number[] {
  const get = db.prepare('SELECT data FROM activations WHERE set_id = ? AND hash = ? AND view = ?').pluck()
  const missing: number[] = []
  const lookup = (hash: string, view: number, indices: number[]): void => {
    const data = get.get(setId, hash, view) as Buffer | undefined
    if (data) each(indices, data)
    else missing.push(...indices)
  }
  if (keys.length < RANGE_READ_MIN) {
    keys.forEach((k, i) => lookup(k.hash, k.view, [i]))
    return missing
  }
  const range = db.prepare('SELECT hash, data FROM activations WHERE set_id = ? AND view = ? AND hash >= ? AND hash <= ? ORDER BY hash').raw()
  // hashes are hex, so JavaScript's order is SQLite's (BINARY); a key a range misses for any
  // other reason is still looked up on its own below
  const order = keys.map((_, i) => i).sort((a, b) => keys[a]!.view - keys[b]!.view || (keys[a]!.hash < keys[b]!.hash ? -1 : keys[a]!.hash > keys[b]!.hash ? 1 : 0))
  // once a range gives up (the keys are sparse among the set's rows, e.g. a random sample of a
  // large set), the rest of the keys are looked up, sorted, without scanning rows not asked for
  let sparse = false
  for (let start = 0; start < order.length; ) {
    const view = keys[order[start]!]!.view
    let end = start
    while (end < order.length && end - start < RANGE_KEYS && keys[order[end]!]!.view === view) end++
    if (sparse) {
      // sorted: repeats of a key are adjacent, and read once for all their positions
      for (let j = start; j < end; ) {
        const hash = keys[order[j]!]!.hash
        const indices: number[] = []
        while (j < end && keys[order[j]!]!.hash === hash) indices.push(order[j++]!)
        lookup(hash, view, indices)
      }
      start = end
      continue
    }
    const want = new Map<string, number[]>()
    for (let j = start; j < end; j++) {
      const i = order[j]!
      const list = want.get(keys[i]!.hash)
      if (list) list.push(i)
      else want.set(keys[i]!.hash, [i])
    }
    const found: [number[], Buffer][] = []
    let waste = 0
    for (const [hash, data] of range.iterate(setId, view, keys[order[start]!]!.hash, keys[order[end - 1]!]!.hash) as Iterable<[string, Buffer]>) {
      const indices = want.get(hash)
      if (indices) {
        found.push([indices, data])
        want.delete(hash)
        if (!want.size) break
      } else if (++waste > RANGE_WASTE * (end - start)) {
        sparse = true
        break
      }
    }
    for (const [indices, data] of found) each(indices, data)
    for (const [hash, indices] of want) lookup(hash, view, indices)
    start = end
  }
  return missing
}

const halves = (data: Buffer): Uint16Array => new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2)

/** Reads activations for (hash, view) pairs into one Float32Array of [n, ...shape]. Throws if
 * any is missing, naming it: training must never silently use fewer images than it says. */
export function readActivations(db: Db, set: ActivationSet, keys: { hash: string; view: number }[]): Float32Array {
  const size = set.shape.reduce((a, b) => a * b, 1)
  const out = new Float32Array(keys.length * size)
  const missing = readRows(db, set.id, keys, (indices, data) => {
    const first = indices[0]! * size
    decodeHalf(halves(data), out, first)
    for (let j = 1; j < indices.length; j++) out.copyWithin(indices[j]! * size, first, first + size)
  })
  if (missing.length) {
    const k = keys[Math.min(...missing)]!
    throw new ThawError('NO_CACHE', `no cached activation for image ${k.hash.slice(0, 12)} view ${k.view}; run precompute`)
  }
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

/** Calls `each(i, row)` with the decoded activation of every key (not in the keys' order),
 * reusing one buffer (copy what you keep): reads a large set without holding it whole as
 * float32. Returns the indices of keys that have no row. */
export function forEachActivation(
  db: Db,
  set: ActivationSet,
  keys: { hash: string; view: number }[],
  each: (i: number, row: Float32Array) => void
): number[] {
  const row = new Float32Array(set.shape.reduce((a, b) => a * b, 1))
  return readRows(db, set.id, keys, (indices, data) => {
    for (const i of indices) {
      decodeHalf(halves(data), row, 0)
      each(i, row)
    }
  }).sort((a, b) => a - b)
}
