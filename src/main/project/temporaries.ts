import fs from 'node:fs'
import path from 'node:path'
import { isAlive } from '../util/process'

// writeFileAtomic's temporary names: <target>.<pid>.<8 hex>.tmp
const TEMPORARY = /\.(\d+)\.[0-9a-f]{8}\.tmp$/

/** Removes the temporary files a killed process left among the thumbnails (`<dir>/<xx>/`). A
 * temporary of a process still running (another import of this project) is left alone. */
export function removeStaleTemporaries(thumbDir: string): number {
  let removed = 0
  let subdirs: fs.Dirent[]
  try {
    subdirs = fs.readdirSync(thumbDir, { withFileTypes: true })
  } catch {
    return 0
  }
  for (const sub of subdirs) {
    if (!sub.isDirectory()) continue
    const dir = path.join(thumbDir, sub.name)
    let names: string[]
    try {
      names = fs.readdirSync(dir)
    } catch {
      continue
    }
    for (const name of names) {
      const m = TEMPORARY.exec(name)
      if (!m || isAlive(Number(m[1]))) continue
      try {
        fs.rmSync(path.join(dir, name), { force: true })
        removed++
      } catch {
        // another process removed it first, or the folder is read-only: harmless either way
      }
    }
  }
  return removed
}
