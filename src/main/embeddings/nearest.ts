/** The k largest scores seen, kept in a small sorted buffer: an exact top-k over a stream of
 * any length in O(k) memory. */
export class TopK {
  private readonly scores: number[] = []
  private readonly items: number[] = []

  constructor(readonly k: number) {}

  offer(item: number, score: number): void {
    const n = this.scores.length
    if (n === this.k && score <= this.scores[n - 1]!) return
    let i = n
    while (i > 0 && this.scores[i - 1]! < score) i--
    this.scores.splice(i, 0, score)
    this.items.splice(i, 0, item)
    if (this.scores.length > this.k) {
      this.scores.pop()
      this.items.pop()
    }
  }

  /** best first */
  result(): { item: number; score: number }[] {
    return this.items.map((item, i) => ({ item, score: this.scores[i]! }))
  }
}
