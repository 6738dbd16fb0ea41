// Browser mode on a remote box: files and folders dropped on the library travel from the
// person's laptop to the studio, one HTTP request per file (raw bytes, so a 100 MB TIFF streams
// instead of sitting in a WebSocket frame), into <project>/uploads/, and the folder is then
// imported like any other (the importUploads command). Plain data and pure functions only:
// shared by the server, which checks every path again, and the page, which builds them.
import type { ErrorInfo } from './contract'

/** POST <UPLOAD_PATH>?token=<token>&path=<relative path below uploads/>, the file as the body */
export const UPLOAD_PATH = '/upload'
/** the project's folder that uploads go into */
export const UPLOAD_DIR = 'uploads'
/** Largest file one upload takes. */
export const UPLOAD_MAX_BYTES = 256 * 1024 * 1024
/** class folder, or split + class folder, then a file: deeper trees are flattened by the page */
export const UPLOAD_MAX_DEPTH = 3

export interface UploadedFile {
  /** the path it was asked for, below uploads/ */
  requested: string
  /** where it is now, below uploads/ ('' when it was not written: a duplicate) */
  stored: string
  /** written: a new file; unchanged: the same bytes were already there (a retry); duplicate:
   * the same bytes are already in the project, so nothing was written */
  status: 'written' | 'unchanged' | 'duplicate'
  bytes: number
  /** for people: why a file was renamed or not written */
  note: string | null
}

export type UploadResponse = { ok: true; file: UploadedFile } | { ok: false; error: ErrorInfo }

const SPLIT_NAMES: ReadonlySet<string> = new Set(['train', 'valid', 'val', 'validation', 'test'])

/** Why one segment of an upload path cannot be a file or folder name, or null when it can. */
function segmentProblem(seg: string): string | null {
  if (seg === '') return 'it has an empty folder name'
  if (seg === '.' || seg === '..') return `"${seg}" cannot be a folder name (it would leave the uploads folder)`
  if (/[\\/\0]/.test(seg)) return `"${seg}" contains / or \\ or a NUL character`
  if (seg.startsWith('.')) return `"${seg}" starts with a dot (hidden files are skipped by the import)`
  if (new TextEncoder().encode(seg).length > 255) return `"${seg.slice(0, 40)}…" is longer than 255 bytes`
  return null
}

/** The segments of a relative upload path, or the reason it is refused (in people's words). */
export function checkUploadPath(rel: string): { ok: true; segments: string[] } | { ok: false; reason: string } {
  if (typeof rel !== 'string' || rel.length === 0) return { ok: false, reason: 'no file name was given' }
  if (rel.length > 1024) return { ok: false, reason: 'the file path is longer than 1024 characters' }
  if (rel.startsWith('/') || /^[A-Za-z]:/.test(rel)) return { ok: false, reason: `${rel} is an absolute path; an upload names a file below the uploads folder` }
  const segments = rel.split('/')
  for (const seg of segments) {
    const problem = segmentProblem(seg)
    if (problem) return { ok: false, reason: `${rel}: ${problem}` }
  }
  if (segments.length > UPLOAD_MAX_DEPTH + 1) return { ok: false, reason: `${rel} is nested deeper than split/class/file` }
  return { ok: true, segments: segments.map((s) => s.normalize('NFC')) }
}

/** A file the person dropped or picked, by its path inside what was dropped. */
export interface DroppedFile<F = unknown> {
  /** '/'-separated, the dropped item's own name first: 'ants/a.jpg', 'hymenoptera/train/ants/a.jpg', or 'a.jpg' */
  path: string
  file: F
}

export interface UploadPlan<F = unknown> {
  items: { file: F; target: string }[]
  /** files left out, with why (for the person) */
  skipped: { path: string; reason: string }[]
  /** the classes the upload will create or add to */
  classes: string[]
  /** files that go in with no class (loose files and no class chosen) */
  unlabelled: number
}

/**
 * Where each dropped file goes below uploads/, so that the import labels it by folder:
 * - a loose file goes into the chosen class's folder (or stays unlabelled when none is chosen);
 * - a dropped folder holding only files is a class: 'ants/a.jpg' stays 'ants/a.jpg';
 * - a dropped folder holding folders is a data set: its class (or split/class) folders are kept
 *   and its own name dropped ('hymenoptera/train/ants/a.jpg' -> 'train/ants/a.jpg'), unless it
 *   is itself named like a split ('train/ants/a.jpg' stays);
 * - deeper folders below a class are flattened into the class folder (the import would take the
 *   first class-level folder as the class anyway), joining their names so nothing collides.
 */
export function planUpload<F>(dropped: readonly DroppedFile<F>[], chosenClass: string | null): UploadPlan<F> {
  const byTop = new Map<string, DroppedFile<F>[]>()
  for (const d of dropped) {
    const top = d.path.split('/')[0] ?? ''
    byTop.set(top, [...(byTop.get(top) ?? []), d])
  }
  const plan: UploadPlan<F> = { items: [], skipped: [], classes: [], unlabelled: 0 }
  const classes = new Set<string>()
  const place = (d: DroppedFile<F>, segs: string[]): void => {
    const target = segs.join('/')
    const checked = checkUploadPath(target)
    if (!checked.ok) {
      plan.skipped.push({ path: d.path, reason: checked.reason })
      return
    }
    plan.items.push({ file: d.file, target })
    const dirs = segs.slice(0, -1)
    const cls = dirs.length && SPLIT_NAMES.has(dirs[0]!.toLowerCase()) ? dirs[1] : dirs[0]
    if (cls === undefined) plan.unlabelled++
    else classes.add(cls.normalize('NFC'))
  }
  /** class (+ split) folders kept, anything deeper flattened into the file's name */
  const flatten = (segs: string[]): string[] => {
    const keep = segs.length > 1 && SPLIT_NAMES.has(segs[0]!.toLowerCase()) ? 2 : 1
    if (segs.length <= keep + 1) return segs
    return [...segs.slice(0, keep), segs.slice(keep).join('_')]
  }
  const loose = (name: string): string[] => (chosenClass ? [chosenClass, name] : [name])

  for (const [top, files] of byTop) {
    const parts = files.map((d) => ({ d, segs: d.path.split('/').filter((s) => s !== '') }))
    const isFolder = parts.some((p) => p.segs.length > 1)
    if (!isFolder) {
      for (const p of parts) place(p.d, loose(p.segs[p.segs.length - 1] ?? ''))
      continue
    }
    const hasSubfolders = parts.some((p) => p.segs.length > 2)
    for (const p of parts) {
      if (p.segs.length === 1) place(p.d, loose(p.segs[0]!))
      else if (!hasSubfolders) place(p.d, [top, p.segs[1]!])
      else if (SPLIT_NAMES.has(top.toLowerCase())) place(p.d, flatten(p.segs))
      else if (p.segs.length === 2) place(p.d, loose(p.segs[1]!))
      else place(p.d, flatten(p.segs.slice(1)))
    }
  }
  plan.classes = [...classes].sort()
  return plan
}
