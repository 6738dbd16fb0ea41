import type { JobProgress } from '../../shared/types'
import { toErrorInfo } from '../errors'

/** How a CLI command talks: with --json exactly one JSON object on stdout and progress on
 * stderr; without it, short human lines. */
export class Output {
  private lastProgressLine = 0

  constructor(readonly json: boolean) {}

  result(value: unknown, human: () => string): void {
    this.printed = true
    process.stdout.write(this.json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`)
  }

  info(line: string): void {
    process.stderr.write(`${line}\n`)
  }

  progress(p: JobProgress): void {
    const now = Date.now()
    if (p.done < p.total && now - this.lastProgressLine < 1000) return
    this.lastProgressLine = now
    const pct = p.total ? Math.floor((100 * p.done) / p.total) : 0
    const eta = p.etaMs === null ? '' : `, ${formatDuration(p.etaMs)} left`
    process.stderr.write(`${p.kind}: ${p.done}/${p.total} (${pct}%${eta})\n`)
  }

  private printed = false

  fail(err: unknown): never {
    const info = toErrorInfo(err)
    // stdout holds exactly one JSON value: the error only when no result was printed
    if (this.json && !this.printed) process.stdout.write(`${JSON.stringify({ error: info })}\n`)
    process.stderr.write(`thaw: error: ${info.message}\n`)
    process.exit(1)
  }
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  return m < 60 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`
}
