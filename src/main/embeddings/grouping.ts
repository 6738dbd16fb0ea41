/** Union-find over n items with path halving and union by size. */
export class DisjointSets {
  private readonly parent: Int32Array
  private readonly size: Int32Array

  constructor(n: number) {
    this.parent = Int32Array.from({ length: n }, (_, i) => i)
    this.size = new Int32Array(n).fill(1)
  }

  find(i: number): number {
    let x = i
    while (this.parent[x] !== x) {
      this.parent[x] = this.parent[this.parent[x]!]!
      x = this.parent[x]!
    }
    return x
  }

  union(a: number, b: number): void {
    let ra = this.find(a)
    let rb = this.find(b)
    if (ra === rb) return
    if (this.size[ra]! < this.size[rb]!) [ra, rb] = [rb, ra]
    this.parent[rb] = ra
    this.size[ra]! += this.size[rb]!
  }
}

export interface SimilarPair {
  a: number
  b: number
  similarity: number
}

export interface ItemGroup {
  /** item indices, ascending */
  items: number[]
  /** the weakest link that joined the group (single linkage): every member is at least this
   * similar to some other member */
  similarity: number
}

/**
 * Groups items linked by pairs at or above `threshold` (single linkage: a chain of near-copies
 * is one group) plus the exact-bytes links (`sameBytes[i]` names the item whose bytes item i
 * repeats, similarity 1). Groups of one are dropped; groups come out most similar first.
 */
export function groupPairs(n: number, pairs: SimilarPair[], threshold: number, sameBytes: (number | null)[] = []): ItemGroup[] {
  const sets = new DisjointSets(n)
  const kept = pairs.filter((p) => p.similarity >= threshold)
  for (const p of kept) sets.union(p.a, p.b)
  sameBytes.forEach((other, i) => {
    if (other !== null) sets.union(i, other)
  })
  const weakest = new Map<number, number>()
  const note = (i: number, s: number): void => {
    const r = sets.find(i)
    weakest.set(r, Math.min(weakest.get(r) ?? 1, s))
  }
  for (const p of kept) note(p.a, Math.min(1, p.similarity))
  sameBytes.forEach((other, i) => {
    if (other !== null) note(i, 1)
  })
  const members = new Map<number, number[]>()
  for (let i = 0; i < n; i++) {
    const r = sets.find(i)
    let m = members.get(r)
    if (!m) members.set(r, (m = []))
    m.push(i)
  }
  const groups: ItemGroup[] = []
  for (const [root, items] of members) if (items.length > 1) groups.push({ items, similarity: weakest.get(root) ?? 1 })
  return groups.sort((x, y) => y.similarity - x.similarity || x.items[0]! - y.items[0]!)
}
