import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { RecentProject } from '../../shared/types'

const MAX_RECENT = 12

/** The user's settings folder: THAW_CONFIG_DIR, else the platform's usual place. */
export function configDir(): string {
  if (process.env.THAW_CONFIG_DIR) return process.env.THAW_CONFIG_DIR
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? os.homedir(), 'Thaw Studio')
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support', 'Thaw Studio')
  return path.join(process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), 'thaw-studio')
}

const file = (): string => path.join(configDir(), 'recent-projects.json')

export function readRecent(): RecentProject[] {
  try {
    const data = JSON.parse(fs.readFileSync(file(), 'utf8')) as unknown
    if (!Array.isArray(data)) return []
    return data.filter(
      (r): r is RecentProject =>
        typeof r?.path === 'string' && typeof r?.name === 'string' && typeof r?.openedAt === 'string'
    )
  } catch {
    return [] // no file yet, or unreadable: recent projects are a convenience, never an error
  }
}

export function rememberProject(entry: Omit<RecentProject, 'openedAt'>): void {
  const list = [{ ...entry, openedAt: new Date().toISOString() }, ...readRecent().filter((r) => r.path !== entry.path)]
  try {
    fs.mkdirSync(configDir(), { recursive: true })
    const tmp = `${file()}.${process.pid}.tmp`
    fs.writeFileSync(tmp, JSON.stringify(list.slice(0, MAX_RECENT), null, 2))
    fs.renameSync(tmp, file())
  } catch {
    // a read-only home must not stop anyone from opening a project
  }
}
