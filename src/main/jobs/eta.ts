/** Estimates time left from the throughput over a recent window, so bursty progress (a batch of
 * 16 landing at once, two workers reporting in turn) does not make the ETA jump. The clock is
 * injected so tests can drive time. */
export class EtaEstimator {
  private readonly samples: { at: number; done: number }[] = []

  constructor(
    private readonly now: () => number = Date.now,
    private readonly windowMs = 10_000
  ) {}

  update(done: number, total: number): number | null {
    const at = this.now()
    const last = this.samples[this.samples.length - 1]
    if (!last || done !== last.done) this.samples.push({ at, done })
    // keep one sample older than the window as the reference point
    while (this.samples.length > 2 && at - this.samples[1]!.at >= this.windowMs) this.samples.shift()
    const first = this.samples[0]!
    const dt = at - first.at
    const dd = done - first.done
    if (dt <= 0 || dd <= 0) return null
    return Math.max(0, Math.round(((total - done) * dt) / dd))
  }
}
