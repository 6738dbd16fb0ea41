import { createHash } from 'node:crypto'
import fs from 'node:fs'
import type { FailOnOptions, Metadata, Sharp, SharpOptions } from 'sharp'
import { describeFsError, errnoCode } from './errors'
import { sniff } from './formats'
import { loadSharp } from './sharp'
import { isDamage, isMissingCodec, trimVipsMessage } from './vipsMessages'

/** Header pixel count above which a file is refused before decoding (a decompression bomb
 * declares huge dimensions in a few bytes). 100 MP covers 12,000 x 8,000 scans and panoramas. */
export const DEFAULT_MAX_PIXELS = 100_000_000
/** Files are read whole into memory; refuse anything larger than this before reading. */
export const DEFAULT_MAX_FILE_BYTES = 1024 ** 3

export interface ProbeOptions {
  /** width x height limit, checked on the header before any decoding */
  maxPixels?: number
  maxFileBytes?: number
  /** a decode still running after this many seconds is stopped (a malformed progressive JPEG
   * can take minutes and would hold a threadpool thread all that time); default 60 */
  timeoutSeconds?: number
}

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif' | 'heic'

/** For programs (filters, counts); the reason is for people. */
export type ProbeFailCode =
  | 'UNREADABLE'
  | 'EMPTY'
  | 'FILE_TOO_BIG'
  | 'NOT_AN_IMAGE'
  | 'UNSUPPORTED_FORMAT'
  | 'TOO_LARGE'
  | 'CORRUPT'
  | 'TIMEOUT'

export interface ProbeOk {
  ok: true
  /** sha256 of the file bytes, hex */
  hash: string
  bytes: number
  mtimeMs: number
  /** as displayed, after EXIF orientation */
  width: number
  height: number
  format: ImageFormat
  /** of the stored image: 1 grey, 2 grey+alpha, 3 RGB/YCbCr, 4 RGBA or CMYK, 5 CMYK+alpha */
  channels: number
  /** libvips interpretation: 'srgb', 'b-w', 'cmyk', 'rgb16', 'grey16', ... */
  space: string
  /** 'uchar' (8-bit), 'ushort' (16-bit), ... */
  depth: string
  hasAlpha: boolean
  /** EXIF orientation 1..8 (1 when absent) */
  orientation: number
  /** frames in an animated GIF/WebP or pages in a TIFF; only the first is used */
  pages: number
  /** a quirk the decoder complained about in a file that still decodes whole */
  warning?: string
  /** absolute path of the thumbnail, when one was asked for */
  thumbnail?: string
}

export interface ProbeFail {
  ok: false
  code: ProbeFailCode
  reason: string
  /** present whenever the bytes could be read, so a fixed file is noticed on re-import */
  hash?: string
  bytes?: number
  mtimeMs?: number
}

export type ProbeResult = ProbeOk | ProbeFail

/** Thrown by a DecodeStep for a failure that is not the file's fault (a full disk, say):
 * probeWith lets it escape instead of blaming the image. */
export class StepFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StepFailure'
  }
}

/** The full decode that proves the pixels are all there, chosen by the caller. */
export interface DecodeStep {
  /** true when these bytes are known to decode (e.g. their thumbnail exists), so skip decoding */
  skip?(hash: string): Promise<boolean>
  /** decode `image` completely (throw what sharp throws); returns extra fields for the result */
  run(image: Sharp, hash: string): Promise<Partial<Pick<ProbeOk, 'thumbnail'>>>
}

/** Decoding a tiny version still reads every byte of entropy-coded data (JPEG shrink-on-load
 * only skips the inverse DCT work), so truncation and corruption surface at a fraction of
 * the cost of a full-size decode. Metadata alone succeeds on a truncated JPEG. */
const VERIFY: DecodeStep = {
  async run(image) {
    await image.resize(32, 32, { fit: 'inside' }).raw().toBuffer()
    return {}
  }
}

/** Reads the file once, hashes it, checks the header, decodes a tiny version to prove the
 * pixels are all there. Never throws for a bad file: the result says what is wrong. */
export function probeImage(path: string, opts: ProbeOptions = {}): Promise<ProbeResult> {
  return probeWith(path, opts, VERIFY)
}

/** sharp options for decoding untrusted files. autoOrient applies EXIF orientation before
 * anything else, so width/height and every pixel come out as the picture is meant to be seen. */
export function decodeOptions(failOn: FailOnOptions, maxPixels = DEFAULT_MAX_PIXELS): SharpOptions {
  return { failOn, limitInputPixels: Math.max(1, Math.floor(maxPixels)), autoOrient: true }
}

/** The probe with a caller-chosen decode step: one read, one header parse, one decode. */
export async function probeWith(path: string, opts: ProbeOptions, step: DecodeStep): Promise<ProbeResult> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS
  const seconds = Math.max(1, Math.round(opts.timeoutSeconds ?? 60))
  const read = await readOnce(path, opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES)
  if (!read.ok) return read
  const { buf, mtimeMs } = read
  const hash = createHash('sha256').update(buf).digest('hex')
  const sharp = await loadSharp()
  const open = (failOn: FailOnOptions): Sharp => sharp(buf, decodeOptions(failOn, maxPixels)).timeout({ seconds })
  const known = { hash, bytes: buf.length, mtimeMs }
  if (buf.length === 0) return { ok: false, code: 'EMPTY', reason: 'empty file (0 bytes)', ...known }

  let meta: Metadata
  try {
    // no pixel limit here: sharp would refuse a bomb with a generic message, and reading the
    // header is safe; the limit is applied below, with the dimensions in the reason
    meta = await sharp(buf, { limitInputPixels: false }).metadata()
  } catch (err) {
    return { ...headerFailure(buf, message(err)), ...known }
  }
  const format = imageFormat(meta)
  if (typeof format === 'object') return { ...format, ...known }

  // the header is trusted only to refuse: a bomb declares huge dimensions in a few bytes
  const pixels = meta.width * meta.height
  if (!(pixels > 0)) {
    return { ok: false, code: 'CORRUPT', reason: `corrupt ${label(format)}: header gives no size (${meta.width}x${meta.height})`, ...known }
  }
  if (pixels > maxPixels) {
    return {
      ok: false,
      code: 'TOO_LARGE',
      reason: `image too large to decode safely: ${meta.width}x${meta.height} = ${megapixels(pixels)} MP > limit ${megapixels(maxPixels)} MP`,
      ...known
    }
  }

  const ok: ProbeOk = {
    ok: true,
    ...known,
    width: meta.autoOrient.width,
    height: meta.autoOrient.height,
    format,
    channels: meta.channels,
    space: meta.space,
    depth: meta.depth,
    hasAlpha: meta.hasAlpha,
    orientation: meta.orientation ?? 1,
    pages: meta.pages ?? 1
  }
  if (step.skip && (await step.skip(hash))) return ok

  // Strict first: under failOn 'warning' libjpeg's "Corrupt JPEG data" warnings abort, and
  // that is the only level that notices garbled entropy-coded data (a truncated file fails
  // at 'truncated' already). Some valid files raise harmless warnings too, so a warning that
  // does not mean damage earns a second, lenient decode and the file is kept with the note.
  try {
    return { ...ok, ...(await step.run(open('warning'), hash)) }
  } catch (strictErr) {
    if (strictErr instanceof StepFailure) throw strictErr
    const strictMsg = message(strictErr)
    if (!isDamage(strictMsg) && !isMissingCodec(strictMsg) && !isTimeout(strictMsg)) {
      try {
        const extra = await step.run(open('error'), hash)
        return { ...ok, ...extra, warning: `decoded with a warning: ${trimVipsMessage(strictMsg)}` }
      } catch (lenientErr) {
        if (lenientErr instanceof StepFailure) throw lenientErr
        return { ...decodeFailure(format, message(lenientErr), seconds), ...known }
      }
    }
    return { ...decodeFailure(format, strictMsg, seconds), ...known }
  }
}

type ReadResult = { ok: true; buf: Buffer; mtimeMs: number } | ProbeFail

async function readOnce(path: string, maxBytes: number): Promise<ReadResult> {
  let fh: fs.promises.FileHandle
  try {
    // O_NONBLOCK: opening a FIFO that slipped through would otherwise wait forever for a writer
    fh = await fs.promises.open(path, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0))
  } catch (err) {
    const code = errnoCode(err)
    const why = code === 'ENOENT' ? 'it disappeared (moved or deleted during the import?)' : describeFsError(err)
    return { ok: false, code: 'UNREADABLE', reason: `cannot read file: ${why}` }
  }
  try {
    const stat = await fh.stat()
    if (!stat.isFile()) return { ok: false, code: 'UNREADABLE', reason: 'not a regular file (device, socket, pipe or folder)' }
    if (stat.size > maxBytes) {
      return {
        ok: false,
        code: 'FILE_TOO_BIG',
        reason: `file too large to read safely: ${formatBytes(stat.size)} > limit ${formatBytes(maxBytes)}`,
        bytes: stat.size,
        mtimeMs: stat.mtimeMs
      }
    }
    return { ok: true, buf: await fh.readFile(), mtimeMs: stat.mtimeMs }
  } catch (err) {
    return { ok: false, code: 'UNREADABLE', reason: `cannot read file: ${describeFsError(err)}` }
  } finally {
    await fh.close().catch(() => undefined)
  }
}

/** Our format name, or the failure for a format sharp reads but we do not import. */
function imageFormat(meta: Metadata): ImageFormat | ProbeFail {
  switch (meta.format) {
    case 'jpeg':
    case 'png':
    case 'webp':
    case 'gif':
    case 'tiff':
      return meta.format
    case 'heif':
      return meta.compression === 'av1' ? 'avif' : 'heic'
    case 'svg':
      return { ok: false, code: 'UNSUPPORTED_FORMAT', reason: 'unsupported format: SVG (vector images are not imported; export a PNG)' }
    default:
      return { ok: false, code: 'UNSUPPORTED_FORMAT', reason: `unsupported format: ${String(meta.format).toUpperCase()} (convert to PNG or JPEG to import it)` }
  }
}

/** When even the header cannot be parsed: say what the file is, going by its first bytes. */
function headerFailure(buf: Buffer, msg: string): ProbeFail {
  const what = sniff(buf)
  if (what.kind === 'other') return { ok: false, code: 'NOT_AN_IMAGE', reason: `not an image (${what.label})` }
  if (!what.supported) {
    return { ok: false, code: 'UNSUPPORTED_FORMAT', reason: `unsupported format: ${what.label} (convert to PNG or JPEG to import it)` }
  }
  // sharp says "unsupported image format" when a TIFF's directory lies past a truncated end
  const detail = /unsupported image format/i.test(msg) ? 'header is damaged or the file is cut short' : trimVipsMessage(msg)
  return { ok: false, code: 'CORRUPT', reason: `corrupt or truncated ${what.label}: ${detail}` }
}

function isTimeout(msg: string): boolean {
  return /^timeout: \d+% complete/m.test(msg)
}

function decodeFailure(format: ImageFormat, msg: string, seconds: number): ProbeFail {
  const timedOut = /^timeout: (\d+)% complete/m.exec(msg)
  if (timedOut) {
    return {
      ok: false,
      code: 'TIMEOUT',
      reason: `took too long to decode (stopped after ${seconds} s at ${timedOut[1]}%); the file may be malformed`
    }
  }
  if (format === 'heic' && isMissingCodec(msg)) {
    return {
      ok: false,
      code: 'UNSUPPORTED_FORMAT',
      reason: 'unsupported format: HEIC (this build of libvips has no HEVC decoder; convert to JPEG to import it)'
    }
  }
  if (/exceeds pixel limit/i.test(msg)) {
    return { ok: false, code: 'TOO_LARGE', reason: `image too large to decode safely: ${trimVipsMessage(msg)}` }
  }
  return { ok: false, code: 'CORRUPT', reason: `corrupt or truncated ${label(format)}: ${trimVipsMessage(msg)}` }
}

function label(format: ImageFormat): string {
  return format === 'jpeg' ? 'JPEG' : format === 'webp' ? 'WebP' : format.toUpperCase()
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** 900 for 9e8, 0.5 for 5e5: whole numbers above 10 MP, one decimal below. */
function megapixels(pixels: number): string {
  const mp = pixels / 1e6
  return mp >= 10 ? String(Math.round(mp)) : String(Math.round(mp * 10) / 10)
}

function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GB`
  return `${(n / 1024 ** 2).toFixed(1)} MB`
}
