import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ensureSet, forEachActivation, RANGE_READ_MIN, readActivations, readRows, writeActivations, writeEncoded, type ActivationSetKey } from '../../../src/main/precompute/activationStore'
import { decodeHalf, encodeHalf } from '../../../src/main/precompute/float16'
import { openDatabase, type Db } from '../../../src/main/store/db'
import { mulberry32, shuffled } from '../../../src/main/util/random'
import { tempDir } from '../../helpers/tmp'

const KEY: ActivationSetKey = { backbone: 'bb', backboneSha256: 'sha', layer: 'l', reduce: 'concat-pool', inputSize: 224, preprocessing: 'p', augmentation: 'a' }
const DIM = 6
const hashOf = (i: number): string => (i * 2654435761 % 2 ** 32).toString(16).padStart(64, '0')
/** row values that say which (hash, view) they belong to */
const valuesOf = (i: number, view: number): Float32Array => Float32Array.from({ length: DIM }, (_, j) => (j === 0 ? (i % 1000) / 16 : j === 1 ? view : j / 64))

function cache(images: number, views: number): { db: Db; set: ReturnType<typeof ensureSet> } {
  const db = openDatabase(path.join(tempDir(), 't.sqlite'), { create: true })
  const set = ensureSet(db, KEY, [DIM])
  const rows: { hash: string; view: number; values: Float32Array }[] = []
  for (let i = 0; i < images; i++) for (let v = 0; v < views; v++) rows.push({ hash: hashOf(i), view: v, values: valuesOf(i, v) })
  writeActivations(db, set.id, rows)
  return { db, set }
}

/** What one lookup per key reads: the reference the range reads must match. */
function oneByOne(db: Db, setId: number, keys: { hash: string; view: number }[]): Float32Array {
  const get = db.prepare('SELECT data FROM activations WHERE set_id = ? AND hash = ? AND view = ?').pluck()
  const out = new Float32Array(keys.length * DIM)
  keys.forEach((k, i) => {
    const data = get.get(setId, k.hash, k.view) as Buffer
    decodeHalf(new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2), out, i * DIM)
  })
  return out
}

describe('reading cached activations', () => {
  it('reads many keys by ranges exactly as one lookup per key, in the keys order, with repeats and several views', () => {
    const { db, set } = cache(700, 3)
    const rand = mulberry32(3)
    const keys = shuffled(
      Array.from({ length: 700 * 3 }, (_, k) => ({ hash: hashOf(k % 700), view: Math.floor(k / 700) })),
      rand
    ).slice(0, 1500)
    keys.push(keys[0]!, keys[10]!, keys[10]!) // copies with the same bytes ask for the same row
    expect(keys.length).toBeGreaterThan(RANGE_READ_MIN)
    const got = readActivations(db, set, keys)
    expect(got).toEqual(oneByOne(db, set.id, keys))
    const imageOf = new Map(Array.from({ length: 700 }, (_, i) => [hashOf(i), i]))
    keys.forEach((k, i) => expect(got.subarray(i * DIM, (i + 1) * DIM)).toEqual(valuesOf(imageOf.get(k.hash)!, k.view)))
  })

  it('reads keys sparse among many rows (ranges give up and look up the rest) and few keys one by one', () => {
    const { db, set } = cache(3000, 1)
    for (const every of [1, 7, 40, 500]) {
      const keys = Array.from({ length: Math.floor(3000 / every) }, (_, k) => ({ hash: hashOf(k * every), view: 0 }))
      expect(readActivations(db, set, keys)).toEqual(oneByOne(db, set.id, keys))
    }
  })

  it('once the keys prove sparse, reads the rest by lookups: repeats once, several views, missing rows named', () => {
    const { db, set } = cache(3000, 2)
    const rand = mulberry32(11)
    // one image in 60, both views, each asked twice, plus rows the set does not hold
    const keys = shuffled(
      Array.from({ length: 50 }, (_, k) => [0, 1].flatMap((view) => [{ hash: hashOf(k * 60), view }, { hash: hashOf(k * 60), view }])).flat(),
      rand
    )
    keys.push({ hash: 'e'.repeat(64), view: 0 }, { hash: hashOf(5), view: 7 })
    const calls = new Map<string, number>()
    const positions: number[] = []
    const missing = readRows(db, set.id, keys, (indices, data) => {
      const k = keys[indices[0]!]!
      calls.set(`${k.hash}:${k.view}`, (calls.get(`${k.hash}:${k.view}`) ?? 0) + 1)
      for (const i of indices) {
        expect(keys[i]).toEqual(k)
        positions.push(i)
      }
      expect(decodeHalf(new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2))).toEqual(oneByOne(db, set.id, [k]))
    })
    expect(missing.sort((a, b) => a - b)).toEqual([keys.length - 2, keys.length - 1])
    expect(calls.size).toBe(100)
    expect([...calls.values()].every((n) => n === 1)).toBe(true)
    expect(positions.sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i).filter((i) => i < keys.length - 2))
  })

  it('calls back once per distinct row with every position that asked for it', () => {
    const { db, set } = cache(200, 1)
    const keys = Array.from({ length: 300 }, (_, k) => ({ hash: hashOf(k % 150), view: 0 }))
    const seen = new Map<number, number>()
    let calls = 0
    const missing = readRows(db, set.id, keys, (indices) => {
      calls++
      for (const i of indices) seen.set(i, (seen.get(i) ?? 0) + 1)
    })
    expect(missing).toEqual([])
    expect(calls).toBe(150)
    expect(seen.size).toBe(300)
    expect([...seen.values()].every((n) => n === 1)).toBe(true)
  })

  it('names a missing row, many keys or few, and reads nothing silently short', () => {
    const { db, set } = cache(100, 1)
    for (const count of [5, 100]) {
      const keys = Array.from({ length: count }, (_, k) => ({ hash: hashOf(k), view: 0 }))
      keys[3] = { hash: 'f'.repeat(64), view: 0 }
      keys.push({ hash: hashOf(1), view: 2 })
      expect(() => readActivations(db, set, keys)).toThrow(/no cached activation for image ffffffffffff view 0; run precompute/)
    }
  })

  it('streams every key with its own row and returns the missing ones in order', () => {
    const { db, set } = cache(300, 2)
    const keys = Array.from({ length: 250 }, (_, k) => ({ hash: hashOf(k), view: k % 2 }))
    keys[7] = { hash: 'e'.repeat(64), view: 0 }
    keys[200] = { hash: hashOf(5), view: 9 }
    const ref = oneByOne(
      db,
      set.id,
      keys.map((k, i) => (i === 7 || i === 200 ? { hash: hashOf(0), view: 0 } : k))
    )
    const got = new Float32Array(keys.length * DIM)
    const missing = forEachActivation(db, set, keys, (i, row) => got.set(row, i * DIM))
    expect(missing).toEqual([7, 200])
    for (let i = 0; i < keys.length; i++) {
      if (i === 7 || i === 200) continue
      expect(got.subarray(i * DIM, (i + 1) * DIM)).toEqual(ref.subarray(i * DIM, (i + 1) * DIM))
    }
  })
})

describe('writing rows already encoded as float16', () => {
  it('stores the same bytes as writeActivations, with the runtime that made them', () => {
    const a = cache(0, 0)
    const b = cache(0, 0)
    const rows = [0, 1, 2].map((i) => ({ hash: hashOf(i), view: i % 2, values: valuesOf(i, i % 2) }))
    writeActivations(a.db, a.set.id, rows, 'onnx')
    writeEncoded(
      b.db,
      b.set.id,
      rows.map((r) => ({ hash: r.hash, view: r.view, half: encodeHalf(r.values) })),
      'onnx'
    )
    const dump = (db: Db) => db.prepare('SELECT hash, view, runtime, hex(data) AS data FROM activations ORDER BY hash, view').all()
    expect(dump(b.db)).toEqual(dump(a.db))
    expect(dump(b.db)).toHaveLength(3)
    expect(readActivations(b.db, b.set, rows)).toEqual(new Float32Array(rows.flatMap((r) => Array.from(r.values))))
  })

  it('encodes a subarray of a larger output by its own bytes (offset views of one batch)', () => {
    const { db, set } = cache(0, 0)
    const batch = Float32Array.from({ length: 3 * DIM }, (_, i) => i / 8)
    writeEncoded(db, set.id, [1, 2].map((i) => ({ hash: hashOf(i), view: 0, half: encodeHalf(batch.subarray(i * DIM, (i + 1) * DIM)) })))
    expect(readActivations(db, set, [{ hash: hashOf(2), view: 0 }])).toEqual(batch.subarray(2 * DIM))
  })
})
