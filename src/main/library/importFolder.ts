import type { ImportReport, Split, SplitCounts } from '../../shared/types'
import { processFiles } from '../dataset/pipeline'
import type { ProbeResult } from '../dataset/probe'
import { scanFolder, type ScannedFile } from '../dataset/scan'
import { assignSplits } from '../dataset/split'
import { ThawError } from '../errors'
import type { JobContext } from '../jobs/jobs'
import type { Project } from '../project/project'
import { ensureClass } from '../store/classes'
import { nowIso } from '../store/db'

export interface ImportOptions {
  validPct: number
  seed: number
}

interface ExistingRow {
  id: number
  hash: string | null
  status: 'ok' | 'problem' | 'missing'
}

const BATCH = 256

/** Imports a folder labelled by folder into the project. Re-importing is idempotent: files are
 * matched by path and compared by content hash. Labels and splits the user set in the studio
 * are kept for files seen before; bad files are recorded with a reason and never stop the run. */
export async function importFolder(project: Project, root: string, opts: ImportOptions, job: JobContext): Promise<ImportReport> {
  const started = Date.now()
  const scan = await scanFolder(root).catch((err: unknown) => {
    const e = err as { code?: unknown; message?: string }
    throw new ThawError(typeof e.code === 'string' ? e.code : 'IMPORT_FAILED', e.message ?? String(err))
  })
  const db = project.db
  const importId = Number(
    db.prepare('INSERT INTO imports (root, started_at) VALUES (?, ?)').run(scan.root, nowIso()).lastInsertRowid
  )

  const existing = new Map<string, ExistingRow>()
  for (const row of db.prepare('SELECT id, path, hash, status FROM images').iterate() as Iterable<ExistingRow & { path: string }>) {
    existing.set(row.path, row)
  }
  const newFiles = scan.files.filter((f) => !existing.has(f.path))
  const assigned = assignSplits(
    newFiles.filter((f) => f.split === null).map((f) => ({ key: f.relPath, className: f.className })),
    opts.validPct,
    opts.seed
  )
  const splitFor = (f: ScannedFile): Split => f.split ?? assigned.get(f.relPath) ?? 'train'

  const report: ImportReport = {
    imported: 0,
    unchanged: 0,
    updated: 0,
    missing: 0,
    classes: {},
    splits: { train: 0, valid: 0, test: 0 },
    problems: [...scan.problems],
    warnings: [],
    layout: scan.layout,
    root: scan.root,
    ms: 0
  }
  const okPaths: string[] = []

  const insert = db.prepare(
    `INSERT INTO images (path, root, rel_path, hash, bytes, mtime_ms, width, height, format, class_id, split, status, reason, imported_at, updated_at)
     VALUES (@path, @root, @relPath, @hash, @bytes, @mtimeMs, @width, @height, @format, @classId, @split, @status, @reason, @now, @now)`
  )
  const update = db.prepare(
    `UPDATE images SET root = @root, rel_path = @relPath, hash = @hash, bytes = @bytes, mtime_ms = @mtimeMs, width = @width,
     height = @height, format = @format, status = @status, reason = @reason, updated_at = @now WHERE id = @id`
  )
  const touch = db.prepare('UPDATE images SET root = ?, rel_path = ?, mtime_ms = ? WHERE id = ?')

  const write = db.transaction((batch: { file: ScannedFile; result: ProbeResult }[]) => {
    const now = nowIso()
    for (const { file, result } of batch) {
      const prev = existing.get(file.path)
      const fields = {
        root: scan.root,
        relPath: file.relPath,
        hash: result.hash ?? null,
        bytes: result.bytes ?? null,
        mtimeMs: result.ok ? result.mtimeMs : null,
        width: result.ok ? result.width : null,
        height: result.ok ? result.height : null,
        format: result.ok ? result.format : null,
        status: result.ok ? 'ok' : 'problem',
        reason: result.ok ? null : result.reason,
        now
      }
      if (!result.ok) report.problems.push({ path: file.path, reason: result.reason })
      if (!prev) {
        const classId = file.className === null ? null : ensureClass(db, file.className)
        insert.run({ ...fields, path: file.path, classId, split: splitFor(file) })
        if (result.ok) report.imported++
      } else if (result.ok && prev.status === 'ok' && prev.hash === result.hash) {
        touch.run(scan.root, file.relPath, result.mtimeMs, prev.id)
        report.unchanged++
      } else {
        update.run({ ...fields, id: prev.id })
        if (result.ok) report.updated++
      }
      if (result.ok) okPaths.push(file.path)
    }
  })

  let done = 0
  let batch: { file: ScannedFile; result: ProbeResult }[] = []
  const total = scan.files.length
  job.progress(0, total, `reading ${total} files`)
  try {
    for await (const item of processFiles(scan.files, { thumbDir: project.thumbDir, signal: job.signal })) {
      batch.push(item)
      done++
      if (batch.length >= BATCH) {
        write(batch)
        batch = []
      }
      job.progress(done, total, item.file.relPath)
    }
  } finally {
    // whatever happened, keep what was read: an import cancelled at 90% keeps 90%
    if (batch.length) write(batch)
  }
  job.throwIfCancelled()

  // files imported from this root before that are no longer there
  const seen = new Set(scan.files.map((f) => f.path))
  const markMissing = db.prepare(`UPDATE images SET status = 'missing', reason = ?, updated_at = ? WHERE id = ?`)
  db.transaction(() => {
    for (const [p, row] of existing) {
      if (row.status === 'missing' || seen.has(p) || !p.startsWith(scan.root + '/')) continue
      markMissing.run('file no longer on disk', nowIso(), row.id)
      report.missing++
    }
  })()

  summarise(project, okPaths, report)
  report.ms = Date.now() - started
  db.prepare('UPDATE imports SET finished_at = ?, report = ? WHERE id = ?').run(nowIso(), JSON.stringify(report), importId)
  return report
}

/** Class and split counts of the usable images of this import, and duplicate-content warnings. */
function summarise(project: Project, okPaths: string[], report: ImportReport): void {
  const db = project.db
  const row = db.prepare(
    `SELECT i.id, i.hash, i.split, c.name AS className FROM images i LEFT JOIN classes c ON c.id = i.class_id WHERE i.path = ?`
  )
  const dups = db.prepare(
    `SELECT d.rel_path AS relPath, c.name AS className, d.split FROM images d LEFT JOIN classes c ON c.id = d.class_id
     WHERE d.hash = ? AND d.id != ? AND d.status = 'ok' ORDER BY d.id LIMIT 3`
  )
  const splits: SplitCounts = report.splits
  for (const p of okPaths) {
    const r = row.get(p) as { id: number; hash: string; split: Split; className: string | null }
    splits[r.split]++
    if (r.className !== null) report.classes[r.className] = (report.classes[r.className] ?? 0) + 1
    const others = dups.all(r.hash, r.id) as { relPath: string; className: string | null; split: Split }[]
    if (others.length) report.warnings.push({ path: p, reason: duplicateReason(r.className, r.split, others) })
  }
}

function duplicateReason(
  className: string | null,
  split: Split,
  others: { relPath: string; className: string | null; split: Split }[]
): string {
  const first = others[0]!
  const what =
    first.className !== className
      ? `labelled "${first.className ?? 'unlabelled'}" there and "${className ?? 'unlabelled'}" here`
      : first.split !== split
        ? `in ${first.split} there and ${split} here (a leak between splits)`
        : 'an exact duplicate'
  return `same bytes as ${first.relPath}${others.length > 1 ? ` and ${others.length - 1} more` : ''}: ${what}`
}

