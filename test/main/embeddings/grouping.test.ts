import { describe, expect, it } from 'vitest'
import { DisjointSets, groupPairs } from '../../../src/main/embeddings/grouping'

describe('duplicate grouping', () => {
  it('links pairs at or above the threshold, chains them, keeps the weakest link', () => {
    const groups = groupPairs(
      7,
      [
        { a: 0, b: 1, similarity: 0.97 },
        { a: 1, b: 2, similarity: 0.9 },
        { a: 3, b: 4, similarity: 0.89 },
        { a: 4, b: 5, similarity: 0.95 },
        { a: 5, b: 6, similarity: 0.5 }
      ],
      0.9
    )
    expect(groups).toEqual([
      { items: [0, 1, 2], similarity: 0.9 },
      { items: [4, 5], similarity: 0.95 }
    ].sort((x, y) => y.similarity - x.similarity))
  })

  it('exact-bytes copies join with similarity 1, also below any threshold', () => {
    const groups = groupPairs(4, [{ a: 0, b: 1, similarity: 0.99 }], 0.999, [null, null, null, 2])
    expect(groups).toEqual([{ items: [2, 3], similarity: 1 }])
  })

  it('nothing similar: no groups', () => {
    expect(groupPairs(3, [{ a: 0, b: 2, similarity: 0.2 }], 0.5)).toEqual([])
  })

  it('disjoint sets: union by size, find with path halving', () => {
    const s = new DisjointSets(6)
    s.union(0, 1)
    s.union(2, 3)
    s.union(1, 3)
    expect(new Set([0, 1, 2, 3].map((i) => s.find(i))).size).toBe(1)
    expect(s.find(4)).not.toBe(s.find(0))
  })
})
