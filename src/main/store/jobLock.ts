import { ThawError } from '../errors'
import { isAlive } from '../util/process'
import { nowIso, type Db } from './db'

/** Who holds a project's writer lock: the process, its first job and since when. */
export interface LockHolder {
  pid: number
  job: string
  since: string
  /** jobs of this process holding it (an import while training, in one studio) */
  count: number
}

const KEY = 'job_lock'

/** "busy: train since 2026-12-01T21:03:04Z (pid 4242)", the words a second writer gets. */
export function busyMessage(h: LockHolder): string {
  return `busy: ${h.job} since ${h.since} (pid ${h.pid}); wait for it or cancel it (on the command line, --wait waits)`
}

/**
 * Takes the project-wide lock for a job that writes (import, precompute, train...), across
 * processes: one row in `meta`, read and written in one IMMEDIATE transaction, so two processes
 * cannot both see it free. A lock whose holder process has died is free (a killed import leaves
 * no stale lock). Jobs of the same process share it (the studio's own rules decide which of its
 * jobs may overlap). Returns the release function; throws BUSY with the holder's words.
 */
export function tryLock(db: Db, job: string, pid = process.pid): { release: () => void } | { holder: LockHolder } {
  const read = db.prepare('SELECT value FROM meta WHERE key = ?').pluck()
  const write = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)')
  const take = db.transaction((): LockHolder | null => {
    const raw = read.get(KEY) as string | undefined
    const held = raw ? (JSON.parse(raw) as LockHolder) : null
    if (held && held.pid !== pid && isAlive(held.pid)) return held
    const mine: LockHolder = held && held.pid === pid ? { ...held, count: held.count + 1 } : { pid, job, since: nowIso(), count: 1 }
    write.run(KEY, JSON.stringify(mine))
    return null
  })
  const holder = take.immediate()
  if (holder) return { holder }
  let released = false
  return {
    release: () => {
      if (released || !db.open) return
      released = true
      db.transaction(() => {
        const raw = read.get(KEY) as string | undefined
        const held = raw ? (JSON.parse(raw) as LockHolder) : null
        if (!held || held.pid !== pid) return
        if (held.count > 1) write.run(KEY, JSON.stringify({ ...held, count: held.count - 1 }))
        else db.prepare('DELETE FROM meta WHERE key = ?').run(KEY)
      }).immediate()
    }
  }
}

/** Takes the lock, or (wait) polls until it is free, telling `onWait` who holds it. */
export async function lockProject(
  db: Db,
  job: string,
  opts: { wait?: boolean; signal?: AbortSignal; onWait?: (h: LockHolder) => void; pollMs?: number } = {}
): Promise<() => void> {
  for (;;) {
    const got = tryLock(db, job)
    if ('release' in got) return got.release
    if (!opts.wait) throw new ThawError('BUSY', busyMessage(got.holder))
    opts.onWait?.(got.holder)
    await new Promise((resolve) => setTimeout(resolve, opts.pollMs ?? 500))
    if (opts.signal?.aborted) throw new ThawError('CANCELLED', `${job} was cancelled while waiting for ${got.holder.job} (pid ${got.holder.pid})`)
  }
}

/** The holder, if a live process holds the lock (for status displays). */
export function lockHolder(db: Db): LockHolder | null {
  const raw = db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(KEY) as string | undefined
  const held = raw ? (JSON.parse(raw) as LockHolder) : null
  return held && isAlive(held.pid) ? held : null
}
