// Where backbones live on disk once fetched or imported, and how a complete copy is recognised.
import { randomBytes } from 'node:crypto'
import { mkdir, open, readFile, readdir, rename, stat, unlink } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { BackboneSpec } from './types'

/** Written last, after every file is verified: a folder without it (or with a stale one) is
 * never used, whatever files a killed download left behind. */
export const COMPLETE_STAMP = '.thaw-complete.json'

interface Stamp {
  id: string
  files: Record<string, string>
}

/** `$THAW_CACHE_DIR/backbones` when set, else the platform's per-user cache folder. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['THAW_CACHE_DIR']) return path.join(path.resolve(env['THAW_CACHE_DIR']), 'backbones')
  const home = os.homedir()
  if (process.platform === 'win32') {
    return path.join(env['LOCALAPPDATA'] ?? path.join(home, 'AppData', 'Local'), 'thaw-studio', 'Cache', 'backbones')
  }
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Caches', 'thaw-studio', 'backbones')
  return path.join(env['XDG_CACHE_HOME'] || path.join(home, '.cache'), 'thaw-studio', 'backbones')
}

export function backboneDir(cacheDir: string, id: string): string {
  return path.join(cacheDir, id)
}

export function tempNameFor(dest: string): string {
  return path.join(path.dirname(dest), `.${path.basename(dest)}.${process.pid}-${randomBytes(4).toString('hex')}.part`)
}

/** Writes a whole file or nothing: temp file, fsync, rename. */
export async function writeFileAtomic(dest: string, bytes: Uint8Array | string): Promise<void> {
  await mkdir(path.dirname(dest), { recursive: true })
  const temp = tempNameFor(dest)
  try {
    const handle = await open(temp, 'w')
    try {
      await handle.writeFile(bytes)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, dest)
  } catch (err) {
    await unlink(temp).catch(() => undefined)
    throw err
  }
}

export async function writeStamp(dir: string, id: string, files: ReadonlyMap<string, string>): Promise<void> {
  const stamp: Stamp = { id, files: Object.fromEntries(files) }
  await writeFileAtomic(path.join(dir, COMPLETE_STAMP), JSON.stringify(stamp, null, 2))
}

async function readStamp(dir: string): Promise<Stamp | null> {
  try {
    return JSON.parse(await readFile(path.join(dir, COMPLETE_STAMP), 'utf8')) as Stamp
  } catch {
    return null
  }
}

/** True when `dir` holds a verified copy of exactly the files the spec describes. Sizes are
 * re-checked (cheap); content is re-hashed when the model is loaded. */
export async function isComplete(dir: string, spec: Pick<BackboneSpec, 'id' | 'files'>): Promise<boolean> {
  const stamp = await readStamp(dir)
  if (!stamp || stamp.id !== spec.id) return false
  for (const file of spec.files) {
    const recorded = stamp.files[file.name]
    if (recorded === undefined) {
      if (file.optional) continue
      return false
    }
    if (recorded !== file.sha256) return false
    const size = await stat(path.join(dir, file.name)).then((s) => s.size, () => -1)
    if (size !== file.bytes) return false
  }
  return true
}

/** Files present in the cache as recorded by the stamp (optional ones may be missing). */
export async function stampedFiles(dir: string): Promise<Map<string, string>> {
  return new Map(Object.entries((await readStamp(dir))?.files ?? {}))
}

/** Temp files of downloads killed long ago; a running download rewrites its own every moment. */
export async function sweepStaleParts(dir: string, olderThanMs = 60 * 60 * 1000): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[])
  const now = Date.now()
  for (const name of names) {
    if (!name.endsWith('.part')) continue
    const full = path.join(dir, name)
    const info = await stat(full).catch(() => null)
    if (info && now - info.mtimeMs > olderThanMs) await unlink(full).catch(() => undefined)
  }
}
