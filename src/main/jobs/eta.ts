/** Estimates time left from throughput, smoothed so one slow batch does not make the ETA jump.
 * The clock is injected so tests can drive time. */
export class EtaEstimator {
  private rate: number | null = null // units per ms
  private lastDone = 0
  private lastAt: number

  constructor(
    private readonly now: () => number = Date.now,
    private readonly smoothing = 0.3
  ) {
    this.lastAt = now()
  }

  update(done: number, total: number): number | null {
    const at = this.now()
    const dt = at - this.lastAt
    const dd = done - this.lastDone
    if (dt > 0 && dd > 0) {
      const r = dd / dt
      this.rate = this.rate === null ? r : this.smoothing * r + (1 - this.smoothing) * this.rate
      this.lastAt = at
      this.lastDone = done
    }
    if (this.rate === null || this.rate <= 0) return null
    return Math.max(0, Math.round((total - done) / this.rate))
  }
}
