// Images per second of a running job, from its progress reports. The studio sends done/total and
// an ETA; the rate is measured here from the first report of the current phase (a phase is a
// total: "loading the backbone" reports 0 of 1, then "computing" 0 of n), so the time spent
// loading a backbone before the first image does not drag the figure down.

export interface ProgressSample {
  done: number
  total: number
  /** milliseconds, any clock */
  at: number
}

export class Throughput {
  private first: ProgressSample | null = null
  private latest: ProgressSample | null = null

  /** Feed every progress report; a new phase (another total) or a count that went backwards (a new
   * job) restarts the measure. */
  add(sample: ProgressSample): void {
    if (this.latest && (sample.done < this.latest.done || sample.total !== this.latest.total)) this.first = null
    if (!this.first) {
      this.first = sample
      this.latest = sample
      return
    }
    this.latest = sample
  }

  /** items per second, or null until at least two reports a moment apart have counted items */
  perSecond(): number | null {
    if (!this.first || !this.latest) return null
    const items = this.latest.done - this.first.done
    const ms = this.latest.at - this.first.at
    return items > 0 && ms >= 200 ? (1000 * items) / ms : null
  }

  reset(): void {
    this.first = null
    this.latest = null
  }
}
