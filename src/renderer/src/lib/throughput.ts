// Images per second of a running job, from its progress reports. The studio sends done/total and
// an ETA; the rate is measured here from the first report that counted something, so the time
// spent loading a backbone before the first image does not drag the figure down.

export interface ProgressSample {
  done: number
  /** milliseconds, any clock */
  at: number
}

export class Throughput {
  private first: ProgressSample | null = null
  private latest: ProgressSample | null = null

  /** Feed every progress report; a report that went backwards (a new job, a new phase) restarts. */
  add(sample: ProgressSample): void {
    if (this.latest && sample.done < this.latest.done) this.first = null
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
