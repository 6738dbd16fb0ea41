import { randomUUID } from 'node:crypto'
import type { JobFinished, JobKind, JobProgress } from '../../shared/types'
import { ThawError } from '../errors'
import { EtaEstimator } from './eta'

export interface JobContext {
  readonly id: string
  readonly signal: AbortSignal
  /** Report progress; throttled here, so callers may call it per item. */
  progress(done: number, total: number, message?: string): void
  /** Throws a CANCELLED error if the job was cancelled. */
  throwIfCancelled(): void
}

export interface JobEvents {
  progress(p: JobProgress): void
  finished(f: JobFinished): void
}

/** What must hold before a job's work starts; returns what undoes it when the job ends. */
export type JobGuard = (kind: JobKind, job: JobContext) => Promise<() => void>

export class CancelledError extends ThawError {
  constructor(what: string) {
    super('CANCELLED', `${what} was cancelled`)
  }
}

/** Long work (import, precompute, training): one owner per kind at a time, progress with ETA,
 * cancellation through an AbortSignal, and a finished event whatever happens. */
export class Jobs {
  private readonly running = new Map<string, { kind: JobKind; controller: AbortController }>()

  constructor(
    private readonly events: JobEvents,
    private readonly now: () => number = Date.now,
    private readonly minIntervalMs = 100,
    /** runs before the work (e.g. takes the project's cross-process lock); returns its release */
    private readonly guard?: JobGuard
  ) {}

  active(): { jobId: string; kind: JobKind }[] {
    return [...this.running].map(([jobId, j]) => ({ jobId, kind: j.kind }))
  }

  cancel(jobId: string): boolean {
    const job = this.running.get(jobId)
    if (!job) return false
    job.controller.abort()
    return true
  }

  cancelAll(): void {
    for (const job of this.running.values()) job.controller.abort()
  }

  async run<T>(kind: JobKind, work: (job: JobContext) => Promise<T>, opts: { exclusive?: JobKind[] } = {}): Promise<T> {
    const clash = [...this.running.values()].find((j) => j.kind === kind || opts.exclusive?.includes(j.kind))
    if (clash) throw new ThawError('BUSY', `a ${clash.kind} job is already running; wait for it or cancel it`)
    const id = randomUUID()
    const controller = new AbortController()
    this.running.set(id, { kind, controller })
    const eta = new EtaEstimator(this.now)
    let lastSent = -Infinity
    const ctx: JobContext = {
      id,
      signal: controller.signal,
      progress: (done, total, message = '') => {
        const etaMs = eta.update(done, total)
        const at = this.now()
        if (done < total && at - lastSent < this.minIntervalMs) return
        lastSent = at
        this.events.progress({ jobId: id, kind, done, total, etaMs, message })
      },
      throwIfCancelled: () => {
        if (controller.signal.aborted) throw new CancelledError(kind)
      }
    }
    let release: (() => void) | null = null
    try {
      if (this.guard) {
        release = await this.guard(kind, ctx)
        ctx.throwIfCancelled()
      }
      const result = await work(ctx)
      // work that stops early on cancel and keeps what it has (training) still ends cancelled
      this.events.finished({ jobId: id, kind, ok: true, cancelled: controller.signal.aborted, error: null })
      return result
    } catch (err) {
      const cancelled = controller.signal.aborted
      this.events.finished({ jobId: id, kind, ok: false, cancelled, error: (err as Error).message })
      if (cancelled && !(err instanceof CancelledError)) throw new CancelledError(kind)
      throw err
    } finally {
      release?.()
      this.running.delete(id)
    }
  }
}
