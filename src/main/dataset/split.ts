/** Reproducible, stratified train/valid assignment for folders without split folders. */
import { fnv1a, mulberry32 } from '../util/random'

export interface SplitItem {
  /** unique and stable across imports, e.g. the path relative to the import root */
  key: string
  className: string | null
  /** the content hash: when given, it (not the key) draws the item's place, so the split is a
   * function of each file's content and the seed, the same whatever the order or the path */
  hash?: string
}

/**
 * Chooses round(n * validPct) validation items in each class (unlabelled items form their own
 * stratum), with two guarantees: a class with 2 or more items keeps at least one for training,
 * and a class with at least 1/validPct items gets at least one for validation.
 *
 * Which items: each item gets a score from a PRNG (mulberry32) seeded by the seed and the item's
 * key, and the lowest scores go to validation. So the result depends on the set of keys and
 * never on their order, and it is stable: adding or removing a few images moves at most a few
 * others between train and valid, unlike a shuffle, where one new file reshuffles the class and
 * leaks earlier validation images into training.
 */
export function assignSplits(items: readonly SplitItem[], validPct: number, seed: number): Map<string, 'train' | 'valid'> {
  if (typeof validPct !== 'number' || !Number.isFinite(validPct) || validPct < 0 || validPct >= 1) {
    throw new RangeError(`valid-pct must be a number from 0 (no validation set) up to but not including 1, got ${String(validPct)}`)
  }
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${String(seed)}`)

  const strata = new Map<string | null, { key: string; score: number }[]>()
  const seen = new Set<string>()
  for (const { key, className, hash } of items) {
    if (seen.has(key)) throw new RangeError(`duplicate key in split assignment: ${key}`)
    seen.add(key)
    let list = strata.get(className)
    if (!list) strata.set(className, (list = []))
    list.push({ key, score: itemScore(seed, hash ?? key) })
  }

  const out = new Map<string, 'train' | 'valid'>()
  for (const list of strata.values()) {
    list.sort((a, b) => a.score - b.score || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    const nValid = validCount(list.length, validPct)
    list.forEach((item, i) => out.set(item.key, i < nValid ? 'valid' : 'train'))
  }
  return out
}

/** round(n * pct), at least 1 once n * pct reaches 1, at most n - 1. */
export function validCount(n: number, validPct: number): number {
  if (n <= 1 || validPct === 0) return 0
  const exact = n * validPct
  const lo = exact >= 1 - 1e-9 ? 1 : 0
  return Math.min(n - 1, Math.max(lo, Math.round(exact)))
}

/** A uniform number in [0, 1) for this (seed, key), from mulberry32 seeded with both. */
export function itemScore(seed: number, key: string): number {
  // fold the seed (any safe integer) and the key's FNV-1a hash into one 32-bit state
  const s = (fnv1a(key) ^ Math.imul((seed >>> 0) ^ Math.floor(seed / 2 ** 32), 0x9e3779b1)) >>> 0
  return mulberry32(s)()
}
