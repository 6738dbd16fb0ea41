import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { Transform, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { formatUploadBytes } from '../../shared/tryit'
import { UPLOAD_DIR, UPLOAD_MAX_BYTES, checkUploadPath, type UploadedFile } from '../../shared/upload'
import { isJunkName, nonImageReason } from '../dataset/formats'
import { probeImage } from '../dataset/probe'
import { ThawError } from '../errors'
import type { Project } from '../project/project'

/** Where files being received are written before they are checked: a dot folder, which the
 * import's scan skips, so a half-received file is never imported. */
const INCOMING = '.incoming'

export interface UploadOptions {
  maxBytes?: number
  /** the length the client announced, checked before anything is read */
  declaredBytes?: number | undefined
}

/** An upload refused: the HTTP status to answer with, and a message for people. */
export class UploadError extends ThawError {
  constructor(
    code: string,
    message: string,
    readonly status: number
  ) {
    super(code, message)
    this.name = 'UploadError'
  }
}

export const uploadsDir = (project: Project): string => path.join(project.dir, UPLOAD_DIR)

/**
 * Receives one file into <project>/uploads/<relPath>. The path is checked (no way out of the
 * folder, no hidden or non-image names), the bytes are streamed into a temporary file under a
 * size limit, then checked by the import's own probe (type, pixel limit, a full decode under
 * its guards). Only a file that passes is given its name, by a hard link that never replaces
 * an existing file (a different file of the same name gets "name (2).jpg"); nothing half-written
 * is ever left under a real name. Bytes already in the project are not written again.
 */
export async function receiveUpload(project: Project, relPath: string, body: Readable, opts: UploadOptions = {}): Promise<UploadedFile> {
  const maxBytes = opts.maxBytes ?? UPLOAD_MAX_BYTES
  const checked = checkUploadPath(relPath)
  if (!checked.ok) throw new UploadError('BAD_PATH', `Cannot upload this file: ${checked.reason}.`, 400)
  const name = checked.segments[checked.segments.length - 1]!
  const notImage = isJunkName(name) ? 'it is a system file, not a picture' : nonImageReason(name)
  if (notImage) throw new UploadError('NOT_AN_IMAGE', `Cannot upload ${relPath}: ${notImage}.`, 415)
  if (opts.declaredBytes !== undefined && opts.declaredBytes > maxBytes) throw tooBig(relPath, opts.declaredBytes, maxBytes)

  const root = uploadsDir(project)
  const incoming = path.join(root, INCOMING)
  await fs.promises.mkdir(incoming, { recursive: true })
  const tmp = path.join(incoming, `${randomBytes(8).toString('hex')}.part`)
  try {
    const hash = createHash('sha256')
    let bytes = 0
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length
        if (bytes > maxBytes) return done(tooBig(relPath, bytes, maxBytes, true))
        hash.update(chunk)
        done(null, chunk)
      }
    })
    await pipeline(body, counter, fs.createWriteStream(tmp, { flags: 'wx', mode: 0o644 }))
    const digest = hash.digest('hex')
    const probe = await probeImage(tmp, { maxFileBytes: maxBytes })
    if (!probe.ok) throw new UploadError(probe.code, `Cannot use ${relPath}: ${probe.reason}.`, 422)

    const known = project.db
      .prepare(`SELECT rel_path AS relPath, path FROM images WHERE hash = ? AND status = 'ok' ORDER BY id LIMIT 1`)
      .get(digest) as { relPath: string; path: string } | undefined
    if (known) {
      return { requested: relPath, stored: '', status: 'duplicate', bytes, note: `the same picture is already in the project (${known.relPath}): not added again` }
    }
    return await place(root, checked.segments, tmp, digest, relPath, bytes)
  } catch (err) {
    if (err instanceof ThawError) throw err
    // the client went away or the disk failed: nothing under a real name was touched
    throw new UploadError('UPLOAD_FAILED', `The upload of ${relPath} did not complete: ${(err as Error).message}`, 500)
  } finally {
    await fs.promises.rm(tmp, { force: true })
  }
}

/** Links the checked temporary file to its name (or the first free "name (n).ext"). */
async function place(root: string, segments: string[], tmp: string, digest: string, requested: string, bytes: number): Promise<UploadedFile> {
  const dir = path.join(root, ...segments.slice(0, -1))
  await fs.promises.mkdir(dir, { recursive: true })
  // a folder that is (or passes through) a link pointing elsewhere would write outside uploads/
  const [realDir, realRoot] = await Promise.all([fs.promises.realpath(dir), fs.promises.realpath(root)])
  if (realDir !== realRoot && !realDir.startsWith(realRoot + path.sep)) {
    throw new UploadError('BAD_PATH', `Cannot upload ${requested}: its folder leads outside the uploads folder.`, 400)
  }
  const name = segments[segments.length - 1]!
  const ext = path.extname(name)
  const stem = name.slice(0, name.length - ext.length)
  for (let n = 1; n < 10_000; n++) {
    const candidate = n === 1 ? name : `${stem} (${n})${ext}`
    const target = path.join(dir, candidate)
    const stored = [...segments.slice(0, -1), candidate].join('/')
    try {
      await fs.promises.link(tmp, target)
      const note = n === 1 ? null : `another picture is already called ${name} there: stored as ${candidate}`
      return { requested, stored, status: 'written', bytes, note }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      if ((await sha256Of(target)) === digest) return { requested, stored, status: 'unchanged', bytes, note: 'already uploaded' }
    }
  }
  throw new UploadError('NAME_TAKEN', `Cannot upload ${requested}: too many files of that name.`, 409)
}

async function sha256Of(file: string): Promise<string | null> {
  try {
    const hash = createHash('sha256')
    await pipeline(fs.createReadStream(file), hash)
    return hash.digest('hex')
  } catch {
    return null
  }
}

function tooBig(relPath: string, bytes: number, max: number, atLeast = false): UploadError {
  return new UploadError(
    'FILE_TOO_BIG',
    `Cannot upload ${relPath}: it is ${atLeast ? 'more than ' : ''}${formatUploadBytes(atLeast ? max : bytes)}; the limit is ${formatUploadBytes(max)} per file.`,
    413
  )
}
