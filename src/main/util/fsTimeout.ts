// File system calls that can hang (a dead network share, a kernel file, Node's recursive mkdir
// on /proc, which loops forever) must never hold the thread that answers the UI. Async calls
// are bounded by a timeout here; folders are made one level at a time, never with Node's
// recursive mkdir.
import fs from 'node:fs'
import path from 'node:path'
import { FsGuardError, errno } from './fsErrors'
import { refusePseudoFs } from './pseudoFs'

/** How long one file system call may take before the studio gives up on it (THAW_FS_TIMEOUT_MS). */
export function fsTimeoutMs(): number {
  const ms = Number(process.env.THAW_FS_TIMEOUT_MS)
  return Number.isFinite(ms) && ms > 0 ? ms : 15_000
}

/**
 * `work`, or FS_TIMEOUT after `ms`. The call itself cannot be cancelled (it runs on libuv's
 * thread pool); whatever it returns late goes to `late` (to close a file handle, say).
 */
export function withFsTimeout<T>(work: Promise<T>, what: string, ms = fsTimeoutMs(), late?: (value: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false
    const timer = setTimeout(() => {
      done = true
      reject(new FsGuardError('FS_TIMEOUT', `${what} did not answer within ${ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`} (a disconnected drive or network share?)`))
    }, ms)
    work.then(
      (value) => {
        if (done) return late?.(value)
        done = true
        clearTimeout(timer)
        resolve(value)
      },
      (err: unknown) => {
        if (done) return
        done = true
        clearTimeout(timer)
        reject(err instanceof Error ? err : new Error(String(err)))
      }
    )
  })
}

/** The folders from `abs` up to the first one that exists, outermost first. */
function missingLevels(abs: string, exists: (p: string) => boolean): string[] {
  const missing: string[] = []
  let dir = abs
  while (!exists(dir)) {
    missing.unshift(dir)
    const parent = path.dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  return missing
}

/**
 * `mkdir -p` that cannot hang: refuses pseudo-filesystems, then makes each missing level with a
 * plain mkdir under the timeout. Returns the first folder it made (undefined if all existed),
 * like fs.mkdir's recursive form, so a caller can remove exactly what it made. A level that
 * cannot be made throws fs's own error (EACCES, ENOTDIR, ...) for the caller to word.
 */
export async function makeDirs(dir: string, what: string): Promise<string | undefined> {
  const abs = refusePseudoFs(dir, what)
  const levels = missingLevels(abs, (p) => fs.existsSync(p))
  for (const level of levels) {
    try {
      await withFsTimeout(fs.promises.mkdir(level), `making ${what} ${level}`)
    } catch (err) {
      if (errno(err) === 'EEXIST' && fs.statSync(level).isDirectory()) continue
      throw err
    }
  }
  return levels[0]
}

/** makeDirs for code that must stay synchronous: the same refusal and one level at a time, so it
 * cannot loop; only the timeout is missing (a sync call cannot be abandoned). */
export function makeDirsSync(dir: string, what: string): string | undefined {
  const abs = refusePseudoFs(dir, what)
  const levels = missingLevels(abs, (p) => fs.existsSync(p))
  for (const level of levels) {
    try {
      fs.mkdirSync(level)
    } catch (err) {
      if (errno(err) === 'EEXIST' && fs.statSync(level).isDirectory()) continue
      throw err
    }
  }
  return levels[0]
}
