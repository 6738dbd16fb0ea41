// The exact check of the duplicate search's candidate pairs, read in chunks of rows: the same
// cosines, bit for bit, as reading both rows of every pair on its own.
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { exactCosines } from '../../../src/main/embeddings/duplicatesTask'
import { dot, normalize } from '../../../src/main/embeddings/projection'
import { ensureSet, readActivations, writeActivations, type ActivationSetKey } from '../../../src/main/precompute/activationStore'
import { openDatabase } from '../../../src/main/store/db'
import { mulberry32 } from '../../../src/main/util/random'
import { tempDir } from '../../helpers/tmp'

const KEY: ActivationSetKey = { backbone: 'bb', backboneSha256: 'sha', layer: 'l', reduce: 'concat-pool', inputSize: 224, preprocessing: 'p', augmentation: 'a' }
const DIM = 40
const N = 300
const hashOf = (i: number): string => (i * 2654435761 % 2 ** 32).toString(16).padStart(64, '0')

function project() {
  const db = openDatabase(path.join(tempDir(), 'd.sqlite'), { create: true })
  const set = ensureSet(db, KEY, [DIM])
  const rand = mulberry32(5)
  writeActivations(
    db,
    set.id,
    Array.from({ length: N }, (_, i) => ({ hash: hashOf(i), view: 0, values: Float32Array.from({ length: DIM }, () => rand() * 3) }))
  )
  // the images of the search: the cached ones, and two whose rows are missing
  const hashes = [...Array.from({ length: N }, (_, i) => hashOf(i)), 'a'.repeat(64), 'b'.repeat(64)]
  return { db, set, hashes }
}

/** Both rows of each pair read on their own, normalized and multiplied: the reference. */
function reference(p: ReturnType<typeof project>, pairs: [number, number][]): Float32Array {
  return Float32Array.from(pairs, ([a, b]) => {
    if (a >= N || b >= N) return 0
    const [ra, rb] = [a, b].map((i) => normalize(readActivations(p.db, p.set, [{ hash: p.hashes[i]!, view: 0 }])))
    return dot(ra!, rb!)
  })
}

describe('exact cosines of candidate pairs', () => {
  const p = project()
  const rand = mulberry32(9)
  const pairs: [number, number][] = []
  for (let a = 0; a < N; a++) for (let j = 0; j < 4; j++) {
    const b = Math.floor(rand() * (N + 2))
    if (b > a) pairs.push([a, b])
  }
  pairs.push(pairs[0]!, pairs[5]!, [3, 4], [3, 4]) // asked twice
  pairs.push([0, N], [N, N + 1]) // rows missing: 0, as before
  const want = reference(p, pairs)

  for (const maxRows of [2, 3, 17, 256, 100_000]) {
    it(`match one read per pair side, whatever the rows held at once (${maxRows})`, () => {
      expect(exactCosines(p.db, p.set, p.hashes, pairs, maxRows)).toEqual(want)
    })
  }

  it('gives nothing for no pairs, and real cosines (0 where a row is missing) for the rest', () => {
    expect(exactCosines(p.db, p.set, p.hashes, [])).toEqual(new Float32Array(0))
    const got = exactCosines(p.db, p.set, p.hashes, pairs)
    expect(got.filter((c) => c > 0.5).length).toBeGreaterThan(pairs.length / 2) // positive features: real cosines, not zeros
    expect(got[pairs.length - 1]).toBe(0)
  })
})
