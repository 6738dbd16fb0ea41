import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { FileProblem, Split } from '../../shared/types'
import { ExportError, describeFsError, errnoCode } from './errors'
import { makeDirs } from '../util/fsTimeout'
import { refusePseudoFs } from '../util/pseudoFs'

export interface ExportItem {
  path: string
  className: string | null
  split: Split | null
}

export interface ExportOptions {
  /** `dest/<split>/<class>/` instead of `dest/<class>/` */
  bySplit: boolean
  onProgress?: (done: number, total: number) => void
  signal?: AbortSignal
}

export interface ExportResult {
  copied: number
  skipped: FileProblem[]
}

/**
 * Copies the labelled images into a class-folder tree that `scanFolder` reads back with the
 * same classes (and splits, with bySplit). Never overwrites: a name already used in a folder
 * gets a suffix, "name (2).jpg". Refuses a destination that exists and is not an empty folder.
 *
 * Everything is written into a hidden temporary folder beside `dest` and renamed into place
 * at the end, so a failure or a cancel leaves no half-written tree (the temporary folder is
 * removed). When nothing is copied, nothing is created. Unreadable sources are skipped with a
 * reason; failures writing the destination (disk full) throw.
 */
export async function exportClassTree(items: readonly ExportItem[], dest: string, opts: ExportOptions): Promise<ExportResult> {
  const target = refusePseudoFs(dest, 'the destination folder')
  await checkDestination(target)
  const skipped: FileProblem[] = []
  const plan: { from: string; folder: string[] }[] = []
  const folderOf = new FolderNames()
  for (const item of items) {
    if (item.className === null) {
      skipped.push({ path: item.path, reason: 'unlabelled: no class to export it under' })
    } else if (opts.bySplit && item.split === null) {
      skipped.push({ path: item.path, reason: 'no split assigned' })
    } else {
      const cls = folderOf.get(item.className)
      plan.push({ from: item.path, folder: opts.bySplit && item.split ? [item.split, cls] : [cls] })
    }
  }
  opts.onProgress?.(0, plan.length)
  if (plan.length === 0) return { copied: 0, skipped }

  const parent = path.dirname(target)
  await makeDirs(parent, 'the destination folder') // Node's recursive mkdir loops forever on /proc
  const tmp = path.join(parent, `.${path.basename(target)}.export-${randomBytes(4).toString('hex')}.tmp`)
  await fs.promises.mkdir(tmp)
  let copied = 0
  try {
    const used = new Map<string, Set<string>>() // folder -> lower-cased names taken in it
    const made = new Set<string>()
    for (const [i, { from, folder }] of plan.entries()) {
      opts.signal?.throwIfAborted()
      const rel = folder.join('/')
      if (!made.has(rel)) {
        await makeDirs(path.join(tmp, ...folder), 'the destination folder')
        made.add(rel)
      }
      let names = used.get(rel)
      if (!names) used.set(rel, (names = new Set()))
      const name = freeName(path.basename(from), names)
      try {
        // COPYFILE_EXCL: the name was chosen free, so an existing file means a bug, never data loss
        await fs.promises.copyFile(from, path.join(tmp, ...folder, name), fs.constants.COPYFILE_EXCL)
        names.add(name.toLowerCase())
        copied++
      } catch (err) {
        if (!isSourceProblem(err, from)) throw err
        skipped.push({ path: from, reason: `cannot copy: ${describeFsError(err)}` })
      }
      opts.onProgress?.(i + 1, plan.length)
    }
    if (copied === 0) {
      await fs.promises.rm(tmp, { recursive: true, force: true })
      return { copied, skipped }
    }
    await checkDestination(target) // someone may have written there while we copied
    await fs.promises.rmdir(target).catch((err: unknown) => {
      if (errnoCode(err) !== 'ENOENT') throw err
    })
    await fs.promises.rename(tmp, target)
  } catch (err) {
    await fs.promises.rm(tmp, { recursive: true, force: true }).catch(() => undefined)
    throw err
  }
  return { copied, skipped }
}

async function checkDestination(target: string): Promise<void> {
  let stat: fs.Stats
  try {
    stat = await fs.promises.stat(target)
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return
    throw err
  }
  if (!stat.isDirectory()) throw new ExportError('DEST_NOT_A_FOLDER', `cannot export to ${target}: it is a file`)
  const entries = await fs.promises.readdir(target)
  if (entries.length > 0) {
    throw new ExportError('DEST_NOT_EMPTY', `cannot export to ${target}: the folder is not empty (choose a new or empty folder)`)
  }
}

/** A failure reading the source (gone, unreadable), as opposed to writing the copy. */
function isSourceProblem(err: unknown, from: string): boolean {
  const e = err as { path?: unknown; code?: unknown }
  if (e.path === from) return true
  // copyFile reports the source path for source errors; these codes are about reading anyway
  return e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EISDIR' || e.code === 'EIO'
}

/** "a.jpg", then "a (2).jpg", "a (3).jpg", ... compared case-insensitively, because the tree
 * may be copied to macOS or Windows, where a.jpg and A.JPG are one file. */
export function freeName(name: string, taken: ReadonlySet<string>): string {
  if (!taken.has(name.toLowerCase())) return name
  const ext = path.extname(name)
  const stem = name.slice(0, name.length - ext.length)
  for (let n = 2; ; n++) {
    const candidate = `${stem} (${n})${ext}`
    if (!taken.has(candidate.toLowerCase())) return candidate
  }
}

/** Class name -> folder name that is valid everywhere and unique (case-insensitively). */
class FolderNames {
  private readonly byClass = new Map<string, string>()
  private readonly taken = new Set<string>()

  get(className: string): string {
    const known = this.byClass.get(className)
    if (known !== undefined) return known
    const name = freeName(safeFolderName(className), this.taken)
    this.byClass.set(className, name)
    this.taken.add(name.toLowerCase())
    return name
  }
}

/** Replaces what Windows, macOS or Linux forbid in a folder name ("a/b" -> "a_b"). */
export function safeFolderName(className: string): string {
  // control characters are exactly what must go
  // eslint-disable-next-line no-control-regex
  let name = className.normalize('NFC').replace(/[\u0000-\u001f<>:"/\\|?*]/g, '_').replace(/[. ]+$/, '')
  if (name === '') name = '_'
  // a leading dot would hide the folder, and scanFolder skips hidden folders
  if (name.startsWith('.')) name = `_${name.slice(1)}`
  if (/^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i.test(name)) name = `_${name}`
  return name
}
