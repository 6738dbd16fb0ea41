/**
 * Time left for a job, steady enough to read. Two smoothings, both by time rather than by number
 * of reports (progress arrives in bursts: a batch of 16 at once, two workers in turn, cached
 * items skipped in one go):
 *
 * - the throughput is an exponentially weighted average over about `rateTauMs`, each interval
 *   weighted by how long it lasted, so a burst counts for the items it brought, not for its speed;
 * - the time shown counts down with the clock and moves toward the new estimate over about
 *   `shownTauMs`, so a change of speed bends it instead of making it jump (26 min to 11 min in
 *   10 s, as a user saw while the first slow batches gave way to fast ones).
 *
 * Nothing is shown until `warmupMs` have passed since the first progress: the first items carry
 * the start-up (a backbone loading, kernels compiling) and would promise far too long a wait. The
 * clock is injected so tests drive time.
 */
export interface EtaOptions {
  warmupMs?: number
  rateTauMs?: number
  shownTauMs?: number
  /** the most the time shown may move, beyond counting down, per second, as a share of itself */
  maxSlewPerS?: number
}

export class EtaEstimator {
  private readonly warmupMs: number
  private readonly rateTauMs: number
  private readonly shownTauMs: number
  private readonly maxSlewPerS: number
  /** the first report (the job starting): the wait until the first item is start-up, not speed */
  private origin: { at: number; done: number } | null = null
  private start: { at: number; done: number } | null = null
  private last: { at: number; done: number } | null = null
  private total = -1
  /** items per ms, once known */
  private rate: number | null = null
  private shown: { at: number; ms: number } | null = null

  constructor(
    private readonly now: () => number = Date.now,
    opts: EtaOptions = {}
  ) {
    this.warmupMs = opts.warmupMs ?? 3000
    this.rateTauMs = opts.rateTauMs ?? 10_000
    this.shownTauMs = opts.shownTauMs ?? 15_000
    this.maxSlewPerS = opts.maxSlewPerS ?? 0.02
  }

  update(done: number, total: number): number | null {
    const at = this.now()
    if (total !== this.total || (this.last && done < this.last.done)) this.reset(total)
    if (done >= total) {
      this.shown = { at, ms: 0 }
      return 0
    }
    if (!this.origin) {
      this.origin = { at, done }
      return null
    }
    // speed is timed from the first item that lands, so start-up does not count as slowness
    if (!this.start || !this.last) {
      if (done > this.origin.done) this.start = this.last = { at, done }
      return null
    }
    const dt = at - this.last.at
    if (dt <= 0) return this.shownAt(at)
    const dd = done - this.last.done
    this.last = { at, done }

    if (this.rate === null) {
      // the first rate is the average since the first report, once the start-up is behind
      const elapsed = at - this.start.at
      if (elapsed < this.warmupMs || done <= this.start.done) return null
      this.rate = (done - this.start.done) / elapsed
    } else {
      this.rate += (1 - Math.exp(-dt / this.rateTauMs)) * (dd / dt - this.rate)
    }
    if (this.rate <= 0) return this.shownAt(at)

    const estimate = (total - done) / this.rate
    if (!this.shown) {
      this.shown = { at, ms: estimate }
    } else {
      const elapsed = at - this.shown.at
      const counted = Math.max(0, this.shown.ms - elapsed)
      const step = (1 - Math.exp(-elapsed / this.shownTauMs)) * (estimate - counted)
      const slew = this.maxSlewPerS * (elapsed / 1000) * Math.max(counted, estimate)
      this.shown = { at, ms: counted + Math.max(-slew, Math.min(slew, step)) }
    }
    return Math.round(this.shown.ms)
  }

  /** the time shown, counted down to `at` (no new evidence of speed) */
  private shownAt(at: number): number | null {
    return this.shown ? Math.round(Math.max(0, this.shown.ms - (at - this.shown.at))) : null
  }

  private reset(total: number): void {
    this.total = total
    this.origin = this.start = this.last = null
    this.rate = null
    this.shown = null
  }
}
