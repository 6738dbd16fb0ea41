import type { FileProblem, ImportReport, Split, SplitCounts } from '../../shared/types'
import { processFiles } from '../dataset/pipeline'
import type { ProbeResult } from '../dataset/probe'
import { scanFolder, type ScannedFile, type ScanResult } from '../dataset/scan'
import { assignSplits, itemScore } from '../dataset/split'
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
const BATCH_MS = 500

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
  // the rows of imports of this root killed before they finished are this import's to finish:
  // their split is decided with the rest, as one unbroken import would have decided it
  const since = pendingSince(project, scan.root)
  const startedAt = nowIso()
  const importId = Number(db.prepare('INSERT INTO imports (root, started_at) VALUES (?, ?)').run(scan.root, startedAt).lastInsertRowid)

  const existing = new Map<string, ExistingRow>()
  for (const row of db.prepare('SELECT id, path, hash, status FROM images').iterate() as Iterable<ExistingRow & { path: string }>) {
    existing.set(row.path, row)
  }
  // until the import ends, a new file's split is the per-file draw (the same score the final,
  // stratified assignment ranks by), so an import cancelled or killed midway leaves a sensible
  // provisional split; the final one is made over every usable file at the end
  const splitFor = (f: ScannedFile, hash: string | null): Split =>
    f.split ?? (hash !== null && opts.validPct > 0 && itemScore(opts.seed, hash) < opts.validPct ? 'valid' : 'train')

  const report: ImportReport = {
    imported: 0,
    unchanged: 0,
    updated: 0,
    missing: 0,
    classes: {},
    splits: { train: 0, valid: 0, test: 0 },
    problems: [],
    warnings: [],
    skipped: [...scan.problems],
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
        insert.run({ ...fields, path: file.path, classId, split: splitFor(file, result.ok ? (result.hash ?? null) : null) })
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
  let lastWrite = Date.now()
  const total = scan.files.length
  job.progress(0, total, `reading ${total} files`)
  try {
    for await (const item of processFiles(scan.files, { thumbDir: project.thumbDir, signal: job.signal })) {
      batch.push(item)
      done++
      // a batch is written when full, or after a moment: a killed import keeps what it read
      if (batch.length >= BATCH || Date.now() - lastWrite > BATCH_MS) {
        write(batch)
        batch = []
        lastWrite = Date.now()
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

  db.transaction(() => {
    assignFinalSplits(project, scan, since ?? startedAt, opts)
    summarise(project, okPaths, report)
    report.warnings.push(...fewValidation(project, scan.root))
    report.ms = Date.now() - started
    db.prepare('UPDATE imports SET finished_at = ?, report = ? WHERE id = ?').run(nowIso(), JSON.stringify(report), importId)
  })()
  return report
}

/** When the oldest unfinished import of this root since its last finished one started (null:
 * none): a killed import's rows are still waiting for their final split. */
function pendingSince(project: Project, root: string): string | null {
  const lastDone = project.db.prepare('SELECT max(id) FROM imports WHERE root = ? AND finished_at IS NOT NULL').pluck().get(root) as number | null
  return (
    (project.db
      .prepare('SELECT min(started_at) FROM imports WHERE root = ? AND finished_at IS NULL AND id > ?')
      .pluck()
      .get(root, lastDone ?? 0) as string | null) ?? null
  )
}

/**
 * The validation split of the files this import added (with those of killed imports it
 * finishes): stratified per class over the usable images only (a truncated file takes no
 * validation slot), each file placed by its content hash and the seed. So the split is the same
 * function of the files whether the import ran unbroken or was killed and resumed, in any order.
 */
function assignFinalSplits(project: Project, scan: ScanResult, since: string, opts: ImportOptions): void {
  const db = project.db
  const auto = new Map(scan.files.filter((f) => f.split === null).map((f) => [f.path, f]))
  const rows = db
    .prepare(`SELECT id, path, hash, split FROM images WHERE root = ? AND imported_at >= ? AND status = 'ok' AND hash IS NOT NULL`)
    .all(scan.root, since) as { id: number; path: string; hash: string; split: Split }[]
  const pending = rows.filter((r) => auto.has(r.path))
  const assigned = assignSplits(
    pending.map((r) => ({ key: auto.get(r.path)!.relPath, className: auto.get(r.path)!.className, hash: r.hash })),
    opts.validPct,
    opts.seed
  )
  const set = db.prepare('UPDATE images SET split = ? WHERE id = ?')
  for (const r of pending) {
    const split = assigned.get(auto.get(r.path)!.relPath) ?? 'train'
    if (split !== r.split) set.run(split, r.id)
  }
}

/** Below this many validation images a class's accuracy says little. */
const FEW_VALID = 5

/** A warning for each class of this root with training images and no or very few usable
 * validation images: a 100% on one image should not pass without a word. */
function fewValidation(project: Project, root: string): FileProblem[] {
  const rows = project.db
    .prepare(
      `SELECT c.name AS name, sum(i.split = 'train') AS train, sum(i.split = 'valid') AS valid FROM images i JOIN classes c ON c.id = i.class_id
       WHERE i.status = 'ok' AND c.id IN (SELECT DISTINCT class_id FROM images WHERE root = ? AND class_id IS NOT NULL)
       GROUP BY c.id ORDER BY c.position, c.id`
    )
    .all(root) as { name: string; train: number; valid: number }[]
  return rows
    .filter((r) => r.train > 0 && r.valid < FEW_VALID)
    .map((r) => ({
      path: `${root}/${r.name}`,
      reason:
        r.valid === 0
          ? `class "${r.name}" has no validation images: its accuracy cannot be measured (add images, or raise --valid-pct)`
          : `class "${r.name}" has only ${r.valid} validation image${r.valid === 1 ? '' : 's'}: its accuracy is measured on too few to trust`
    }))
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

