// Reading a file a user named (an image to predict, a plan, a model file) without hanging or
// running out of memory: `mkfifo f; thaw predict P f` waited forever for a writer, and
// `--plan /dev/zero` read until std::bad_alloc. Every command that reads a user's file goes
// through here: pseudo-filesystems are refused by their real location, the file is opened with
// O_NONBLOCK (a FIFO opens at once instead of waiting), fstat after open says whether it is a
// regular file (no race between a check and the open), and no more than the limit is read.
import fs from 'node:fs'
import { FsGuardError, errno, fsReason } from './fsErrors'
import { withFsTimeout } from './fsTimeout'
import { refusePseudoFs } from './pseudoFs'

export interface ReadLimit {
  /** refuse files larger than this (FILE_TOO_LARGE) */
  maxBytes: number
  /** the file in the user's words, for messages: "the plan", "the image", "--plan" */
  what: string
}

/** Limits the studio uses: a plan is small JSON; images match the import's own limit. */
export const PLAN_MAX_BYTES = 1024 * 1024
export const IMAGE_MAX_BYTES = 1024 ** 3
export const JSON_MAX_BYTES = 64 * 1024 * 1024
export const MODEL_FILE_MAX_BYTES = 2 * 1024 ** 3

const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0)

function kindOf(stat: fs.Stats): string {
  if (stat.isFIFO()) return 'a pipe (FIFO)'
  if (stat.isSocket()) return 'a socket'
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device'
  if (stat.isDirectory()) return 'a folder'
  return 'not a regular file'
}

function mb(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.ceil(bytes / 1e3)} kB`
}

function openFailed(what: string, abs: string, err: unknown): FsGuardError {
  if (err instanceof FsGuardError) return err
  const code = errno(err)
  if (code === 'ENOENT') return new FsGuardError('NOT_FOUND', `${what} ${abs} does not exist`)
  if (code === 'EISDIR') return new FsGuardError('NOT_A_REGULAR_FILE', `${what} ${abs} is a folder, not a file`)
  return new FsGuardError('UNREADABLE', `cannot read ${what} ${abs}: ${fsReason(err)}`)
}

function checkStat(stat: fs.Stats, abs: string, limit: ReadLimit): void {
  if (!stat.isFile()) throw new FsGuardError('NOT_A_REGULAR_FILE', `${limit.what} ${abs} is ${kindOf(stat)}, not a regular file`)
  if (stat.size > limit.maxBytes) throw tooLarge(abs, limit, stat.size)
}

function tooLarge(abs: string, limit: ReadLimit, size: number | null): FsGuardError {
  const was = size === null ? 'more than' : `${mb(size)}, over`
  return new FsGuardError('FILE_TOO_LARGE', `${limit.what} ${abs} is ${was} the limit of ${mb(limit.maxBytes)}`)
}

/** One buffer that owns its memory exactly (never a slice of Node's shared pool): callers hand
 * `.buffer` to TF.js and onnxruntime, which would otherwise see the pool's other bytes. */
function joined(chunks: Buffer[], total: number): Buffer {
  if (chunks.length === 1 && chunks[0]!.byteOffset === 0 && chunks[0]!.buffer.byteLength === total) return chunks[0]!
  const out = Buffer.allocUnsafeSlow(total)
  let at = 0
  for (const c of chunks) at += c.copy(out, at)
  return out
}

/** Opens a user's file for reading only if it is a regular file on real storage. The caller closes it. */
export async function openRegularFile(file: string, limit: ReadLimit): Promise<{ handle: fs.promises.FileHandle; stat: fs.Stats; path: string }> {
  const abs = refusePseudoFs(file, limit.what)
  let handle: fs.promises.FileHandle
  try {
    handle = await withFsTimeout(fs.promises.open(abs, OPEN_FLAGS), `opening ${limit.what} ${abs}`, undefined, (late) => void late.close())
  } catch (err) {
    throw openFailed(limit.what, abs, err)
  }
  try {
    const stat = await withFsTimeout(handle.stat(), `reading ${limit.what} ${abs}`)
    checkStat(stat, abs, limit)
    return { handle, stat, path: abs }
  } catch (err) {
    await handle.close().catch(() => undefined)
    throw openFailed(limit.what, abs, err)
  }
}

/** The whole of a user's regular file, at most `maxBytes` (a file that grows past it while being
 * read is refused too). */
export async function readRegularFile(file: string, limit: ReadLimit): Promise<Buffer> {
  const { handle, stat, path: abs } = await openRegularFile(file, limit)
  try {
    const chunks: Buffer[] = []
    let total = 0
    const chunk = Math.max(1, Math.min(stat.size || 64 * 1024, 8 * 1024 * 1024))
    for (;;) {
      const buf = Buffer.allocUnsafeSlow(Math.min(chunk, limit.maxBytes + 1 - total))
      const { bytesRead } = await handle.read(buf, 0, buf.length, null)
      if (bytesRead === 0) break
      total += bytesRead
      if (total > limit.maxBytes) throw tooLarge(abs, limit, null)
      chunks.push(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead))
    }
    return joined(chunks, total)
  } catch (err) {
    throw openFailed(limit.what, abs, err)
  } finally {
    await handle.close().catch(() => undefined)
  }
}

export async function readRegularText(file: string, limit: ReadLimit): Promise<string> {
  return (await readRegularFile(file, limit)).toString('utf8')
}

/** readRegularFile for code that must stay synchronous. The same refusals; a FIFO still opens at
 * once (O_NONBLOCK), so nothing here can wait for a writer. */
export function readRegularFileSync(file: string, limit: ReadLimit): Buffer {
  const abs = refusePseudoFs(file, limit.what)
  let fd: number
  try {
    fd = fs.openSync(abs, OPEN_FLAGS)
  } catch (err) {
    throw openFailed(limit.what, abs, err)
  }
  try {
    const stat = fs.fstatSync(fd)
    checkStat(stat, abs, limit)
    const chunks: Buffer[] = []
    let total = 0
    for (;;) {
      const buf = Buffer.allocUnsafeSlow(Math.min(Math.max(stat.size, 64 * 1024), limit.maxBytes + 1 - total, 8 * 1024 * 1024))
      const n = fs.readSync(fd, buf, 0, buf.length, null)
      if (n === 0) break
      total += n
      if (total > limit.maxBytes) throw tooLarge(abs, limit, null)
      chunks.push(n === buf.length ? buf : buf.subarray(0, n))
    }
    return joined(chunks, total)
  } catch (err) {
    throw openFailed(limit.what, abs, err)
  } finally {
    fs.closeSync(fd)
  }
}

export function readRegularTextSync(file: string, limit: ReadLimit): string {
  return readRegularFileSync(file, limit).toString('utf8')
}
