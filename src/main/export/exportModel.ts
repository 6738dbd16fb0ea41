// Export orchestration on the studio's side: refuse early what cannot work (no model, a folder
// that is not ours to replace, nowhere to write), build the bundle in a hidden staging folder
// beside the destination, and move it into place only once it has proven itself. On any failure
// the staging folder (and any parent folder made for it) is removed: nothing half-written stays.
import fs from 'node:fs'
import path from 'node:path'
import type { ExportFormat, ExportResult } from '../../shared/export'
import type { EnginePool } from '../engine/pool'
import { ThawError } from '../errors'
import type { JobContext } from '../jobs/jobs'
import type { Project } from '../project/project'
import { modelMeta } from '../training/modelStore'
import { FsGuardError } from '../util/fsErrors'
import { makeDirs, withFsTimeout } from '../util/fsTimeout'
import { refusePseudoFs } from '../util/pseudoFs'
import { FILES } from './bundleFiles'
import type { ExportTaskArgs } from './exportTask'

export interface ExportOptions {
  format: ExportFormat
  out: string
  /** replace an earlier export in `out` (only a folder holding a model card) */
  overwrite: boolean
  /** unset: 13, or an imported ONNX backbone's own opset */
  opset?: number | undefined
  modelId?: number | undefined
  /** for tests: a tolerance no export can meet proves that a failed check writes nothing */
  tolerance?: number
  /** for tests: the largest model.onnx an imported ONNX backbone's bundle may have */
  maxModelBytes?: number
}

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOTDIR: 'part of the path is a file, not a folder',
  ENOSPC: 'no space left on the device',
  EEXIST: 'it already exists',
  ENAMETOOLONG: 'the name is too long'
}

function unwritable(where: string, err: unknown): ThawError {
  const code = (err as NodeJS.ErrnoException).code ?? ''
  return new ThawError('EXPORT_UNWRITABLE', `cannot write the bundle to ${where}: ${REASONS[code] ?? (err as Error).message.split('\n')[0]}`)
}

/** What is at `out` now: nothing, an empty folder, or an earlier export we may replace. */
function checkDestination(out: string, overwrite: boolean): 'absent' | 'empty' | 'replace' {
  let stat: fs.Stats
  try {
    stat = fs.statSync(out)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return 'absent'
    throw unwritable(out, err)
  }
  if (!stat.isDirectory()) throw new ThawError('EXPORT_UNWRITABLE', `cannot write the bundle to ${out}: it is a file, not a folder`)
  const entries = fs.readdirSync(out)
  if (entries.length === 0) return 'empty'
  if (!overwrite) {
    // in no transport's words: the CLI adds its flag (--force), the UI its checkbox
    throw new ThawError('EXPORT_EXISTS', `${out} is not empty; choose a new folder, or replace the earlier export in it`)
  }
  if (!entries.includes(FILES.cardJson)) {
    throw new ThawError('EXPORT_EXISTS', `${out} is not empty and is not a Thaw bundle (no ${FILES.cardJson}); refusing to replace it`)
  }
  return 'replace'
}

/** Makes the staging folder beside `out`; returns it and the first parent folder it had to make.
 * Async and bounded: Node's recursive mkdir never returns under /proc, and a hung share must not
 * freeze the studio (refusePseudoFs has already turned /proc away; this is the second guard). */
async function makeStaging(out: string): Promise<{ staging: string; madeParent: string | undefined }> {
  const parent = path.dirname(out)
  let madeParent: string | undefined
  try {
    madeParent = await makeDirs(parent, 'the export folder')
    const staging = await withFsTimeout(fs.promises.mkdtemp(path.join(parent, `.${path.basename(out)}.partial-`)), `making a folder in ${parent}`)
    fs.chmodSync(staging, 0o755) // mkdtemp makes it private; a bundle is meant to be shared
    return { staging, madeParent }
  } catch (err) {
    if (madeParent) fs.rmSync(madeParent, { recursive: true, force: true })
    if (err instanceof FsGuardError) throw err // PSEUDO_FS or FS_TIMEOUT, already in words
    throw unwritable(parent, err)
  }
}

function moveIntoPlace(staging: string, out: string, state: 'absent' | 'empty' | 'replace'): void {
  if (state === 'empty') fs.rmdirSync(out)
  if (state !== 'replace') {
    fs.renameSync(staging, out)
    return
  }
  // the old export moves aside first, so a failed swap can put it back
  const old = `${staging}.old`
  fs.renameSync(out, old)
  try {
    fs.renameSync(staging, out)
  } catch (err) {
    fs.renameSync(old, out)
    throw err
  }
  fs.rmSync(old, { recursive: true, force: true })
}

export async function exportModel(project: Project, pool: EnginePool, opts: ExportOptions, job: JobContext): Promise<ExportResult> {
  const started = Date.now()
  // the folder first: a path into /proc is refused before anything else is looked at
  const out = refusePseudoFs(opts.out, 'the export folder')
  if (!modelMeta(project.db, opts.modelId)) {
    throw new ThawError(
      'NO_MODEL',
      opts.modelId === undefined ? 'this project has no trained model yet: train one first (thaw train <project>)' : `this project has no model ${opts.modelId}`
    )
  }
  if (out === project.dir || project.dir.startsWith(out + path.sep)) {
    throw new ThawError('EXPORT_EXISTS', `cannot export into the project folder or one that contains it (${out})`)
  }
  const state = checkDestination(out, opts.overwrite)
  const { staging, madeParent } = await makeStaging(out)
  try {
    const args: ExportTaskArgs = {
      projectDir: project.dir,
      projectName: project.info().name,
      format: opts.format,
      staging,
      ...(opts.opset === undefined ? {} : { opset: opts.opset }),
      ...(opts.modelId === undefined ? {} : { modelId: opts.modelId }),
      ...(opts.tolerance === undefined ? {} : { tolerance: opts.tolerance }),
      ...(opts.maxModelBytes === undefined ? {} : { maxModelBytes: opts.maxModelBytes })
    }
    const r = await pool.run('exportModel', args, {
      signal: job.signal,
      onProgress: (done, total, message) => job.progress(done, total, message)
    })
    job.throwIfCancelled()
    try {
      moveIntoPlace(staging, out, state)
    } catch (err) {
      throw unwritable(out, err)
    }
    const bytes = r.files.reduce((s, f) => s + f.bytes, 0)
    return { format: opts.format, dir: out, modelId: r.modelId, files: r.files, bytes, check: r.check, card: r.card, ms: Date.now() - started }
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true })
    if (madeParent) fs.rmSync(madeParent, { recursive: true, force: true })
    throw err
  }
}
