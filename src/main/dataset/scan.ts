import fs from 'node:fs'
import path from 'node:path'
import type { FileProblem, Split } from '../../shared/types'
import { ImportError, describeFsError, errnoCode } from './errors'
import { isJunkName, nonImageReason } from './formats'
import { pseudoFsOfReal, refusePseudoFs } from '../util/pseudoFs'

export type { FileProblem, Split }

export type Layout = 'class-folders' | 'split-folders'

export interface ScannedFile {
  /** absolute path as found (through any symlinked folder), below the real root */
  path: string
  /** path below the root with '/' separators, the same on every platform */
  relPath: string
  /** the class-level folder's name (NFC), null for files not inside one */
  className: string | null
  split: Split | null
}

export interface ScanResult {
  /** absolute, symlinks resolved */
  root: string
  layout: Layout
  /** sorted by relPath segments, so two scans of the same tree give the same order */
  files: ScannedFile[]
  problems: FileProblem[]
}

const SPLIT_NAMES: Readonly<Record<string, Split>> = {
  train: 'train',
  valid: 'valid',
  val: 'valid',
  validation: 'valid',
  test: 'test'
}

/** The split a folder name stands for (case-insensitive), or null. */
export function splitFromFolderName(name: string): Split | null {
  return SPLIT_NAMES[name.toLowerCase()] ?? null
}

/** A candidate image with its path segments below the root (folders..., file name). */
interface Found {
  path: string
  segments: string[]
}

interface Walk {
  files: Found[]
  problems: FileProblem[]
  /** real paths of every folder entered, to notice a folder reached twice through links */
  visited: Map<string, string>
  /** whether some top-level split-named folder has a subfolder (a class level) */
  splitHasClassFolders: boolean
  /** a top-level split-named folder exists */
  hasSplitFolder: boolean
  /** folders reached through a symlink, followed once every real folder is scanned */
  links: { full: string; segs: string[]; ancestors: string[] }[]
  following: boolean
}

const bySegments = (a: string[], b: string[]): number => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1
  return a.length - b.length
}

async function followLink(walk: Walk, root: string, link: { full: string; segs: string[]; ancestors: string[] }): Promise<void> {
  const real = link.ancestors[link.ancestors.length - 1]!
  const rel = link.segs.join('/')
  const seen = walk.visited.get(real)
  if (seen !== undefined) {
    const where = seen === '.' ? 'the import folder itself' : seen
    walk.problems.push({ path: link.full, reason: `skipped: ${rel} is a link to ${where}, which is imported from there (a link never relabels a folder's images)` })
    return
  }
  walk.visited.set(real, rel)
  if (link.segs.length === 1 && splitFromFolderName(link.segs[0]!)) walk.hasSplitFolder = true
  if (link.segs.length === 2 && splitFromFolderName(link.segs[0]!)) walk.splitHasClassFolders = true
  await walkFolder(walk, root, link.full, link.segs, link.ancestors)
}

/**
 * Lists the images under `root` and labels them by folder.
 *
 * Layouts: `root/<class>/<image>` or `root/<split>/<class>/<image>`. The split layout is chosen
 * when a top-level folder is named like a split (train, valid/val/validation, test) and at least
 * one such folder has subfolders; so a class that happens to be called "test" and holds only
 * images stays a class. In the split layout, top-level folders that are not splits are classes
 * without a split. Nothing is read but directory entries, so this is quick on 100,000 files.
 */
export async function scanFolder(root: string): Promise<ScanResult> {
  const realRoot = await resolveRoot(root)
  const walk: Walk = {
    files: [],
    problems: [],
    visited: new Map([[realRoot, '.']]),
    splitHasClassFolders: false,
    hasSplitFolder: false,
    links: [],
    following: false
  }
  await walkFolder(walk, realRoot, realRoot, [], [realRoot])
  // then the linked folders, in order; a link found inside one waits for the next round
  walk.following = true
  while (walk.links.length) {
    const links = walk.links.splice(0).sort((a, b) => bySegments(a.segs, b.segs))
    for (const link of links) await followLink(walk, realRoot, link)
  }
  walk.files.sort((a, b) => bySegments(a.segments, b.segments))

  if (walk.files.length === 0) {
    if (walk.problems.length === 0) throw new ImportError('EMPTY', `${realRoot} is empty: there are no files to import`)
    const examples = walk.problems
      .slice(0, 3)
      .map((p) => `${path.relative(realRoot, p.path) || p.path}: ${p.reason}`)
      .join('; ')
    throw new ImportError(
      'NO_IMAGES',
      `no image files in ${realRoot} (${walk.problems.length} other file${walk.problems.length === 1 ? '' : 's'}, e.g. ${examples})`
    )
  }

  const layout: Layout = walk.hasSplitFolder && walk.splitHasClassFolders ? 'split-folders' : 'class-folders'
  const files = walk.files.map((f) => label(f, layout))
  return { root: realRoot, layout, files, problems: walk.problems }
}

async function resolveRoot(root: string): Promise<string> {
  const abs = refusePseudoFs(root, 'the import folder')
  let real: string
  try {
    real = await fs.promises.realpath(abs)
  } catch (err) {
    const code = errnoCode(err)
    if (code === 'ENOENT') throw new ImportError('NOT_FOUND', `folder not found: ${abs}`)
    if (code === 'ELOOP') throw new ImportError('NOT_FOUND', `folder not found: ${abs} is a symlink loop`)
    if (code === 'ENOTDIR') throw new ImportError('NOT_FOUND', `folder not found: ${abs} (a part of the path is a file)`)
    throw new ImportError('UNREADABLE', `cannot open ${abs}: ${describeFsError(err)}`)
  }
  const stat = await fs.promises.stat(real).catch((err: unknown) => {
    throw new ImportError('UNREADABLE', `cannot open ${abs}: ${describeFsError(err)}`)
  })
  if (!stat.isDirectory()) throw new ImportError('NOT_A_FOLDER', `not a folder: ${abs} is a file; choose the folder that holds the images`)
  try {
    await fs.promises.access(real, fs.constants.R_OK | fs.constants.X_OK)
  } catch (err) {
    throw new ImportError('UNREADABLE', `cannot read folder ${abs}: ${describeFsError(err)}`)
  }
  return real
}

// Code-point order, not locale order: the same on every machine and every Node build.
const byName = (a: fs.Dirent, b: fs.Dirent): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)

async function walkFolder(walk: Walk, root: string, dir: string, segments: string[], ancestors: string[]): Promise<void> {
  let entries: fs.Dirent[]
  try {
    entries = await fs.promises.readdir(dir, { withFileTypes: true })
  } catch (err) {
    walk.problems.push({ path: dir, reason: `cannot read folder: ${describeFsError(err)}` })
    return
  }
  entries.sort(byName)
  for (const entry of entries) {
    if (isJunkName(entry.name)) continue
    const full = path.join(dir, entry.name)
    const segs = [...segments, entry.name]
    const rel = segs.join('/')
    let isDir = entry.isDirectory()
    let isFile = entry.isFile()
    if (entry.isSymbolicLink() || (!isDir && !isFile && !isSpecial(entry))) {
      // a link (or a file system that does not report types): look at what it points to
      let target: fs.Stats
      try {
        target = await fs.promises.stat(full)
      } catch (err) {
        const code = errnoCode(err)
        const to = await fs.promises.readlink(full).catch(() => '?')
        if (code === 'ELOOP') walk.problems.push({ path: full, reason: `symlink loop: ${rel} -> ${to} never reaches a file` })
        else if (code === 'ENOENT') walk.problems.push({ path: full, reason: `broken symlink: ${rel} -> ${to} (target does not exist)` })
        else walk.problems.push({ path: full, reason: `cannot follow symlink ${rel}: ${describeFsError(err)}` })
        continue
      }
      isDir = target.isDirectory()
      isFile = target.isFile()
    }
    if (isDir) {
      const real = await fs.promises.realpath(full).catch(() => full)
      const pseudo = await pseudoFsOfReal(real)
      if (pseudo) {
        // /proc holds /proc/self/root (all of /) and files that never end: never walk into one
        walk.problems.push({ path: full, reason: `skipped: ${rel} is ${pseudo.startsWith('a ') ? 'on ' : 'in '}${pseudo}, the kernel's system interface, not images` })
        continue
      }
      if (ancestors.includes(real)) {
        const at = path.relative(root, real) || '.'
        walk.problems.push({ path: full, reason: `symlink loop: ${rel} points back to ${at === '.' ? 'the import folder' : at}, which contains it` })
        continue
      }
      if (entry.isSymbolicLink() && !walk.following) {
        // folders reached through links wait until every real folder is scanned: a link
        // (ants/more -> ../bees) must never take a folder from the class its real place gives
        walk.links.push({ full, segs, ancestors: [...ancestors, real] })
        continue
      }
      const seen = walk.visited.get(real)
      if (seen !== undefined) {
        walk.problems.push({ path: full, reason: `skipped: ${rel} is a link to ${seen}, which is imported from there (a link never relabels a folder's images)` })
        continue
      }
      walk.visited.set(real, rel)
      if (segs.length === 1 && splitFromFolderName(entry.name)) walk.hasSplitFolder = true
      if (segs.length === 2 && splitFromFolderName(segs[0]!)) walk.splitHasClassFolders = true
      await walkFolder(walk, root, full, segs, [...ancestors, real])
    } else if (isFile) {
      const reason = nonImageReason(entry.name)
      if (reason) walk.problems.push({ path: full, reason })
      else walk.files.push({ path: full, segments: segs })
    } else {
      // sockets, FIFOs, devices: opening a FIFO would hang the import, so never touch them
      walk.problems.push({ path: full, reason: 'not a regular file (device, socket or pipe)' })
    }
  }
}

function isSpecial(entry: fs.Dirent): boolean {
  return entry.isFIFO() || entry.isSocket() || entry.isBlockDevice() || entry.isCharacterDevice()
}

function label(found: Found, layout: Layout): ScannedFile {
  const dirs = found.segments.slice(0, -1)
  let split: Split | null = null
  if (layout === 'split-folders' && dirs[0] !== undefined) {
    split = splitFromFolderName(dirs[0])
    if (split) dirs.shift()
  }
  // deeper nesting (class/sub/x.jpg) takes the first class-level folder as the class
  const cls = dirs[0]
  return {
    path: found.path,
    relPath: found.segments.join('/'),
    // macOS hands out decomposed names (NFD): normalise so "café" is one class everywhere
    className: cls === undefined ? null : cls.normalize('NFC'),
    split
  }
}
