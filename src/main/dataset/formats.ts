/** What counts as an image file, what is junk, and what a file is when sharp cannot say. */

/** Extensions the scan hands to the decoder. The content decides in the end (a .jpg that is
 * really text is still caught by the probe); the extension only keeps documents out. */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  '.jpg', '.jpeg', '.jpe', '.jfif', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.heif'
])

/** Image formats people keep in data sets that this build cannot import, with a hint. */
const UNSUPPORTED_EXTENSIONS: Readonly<Record<string, string>> = {
  '.bmp': 'BMP',
  '.dib': 'BMP',
  '.svg': 'SVG',
  '.ico': 'ICO',
  '.psd': 'PSD',
  '.jp2': 'JPEG 2000',
  '.j2k': 'JPEG 2000',
  '.jxl': 'JPEG XL',
  '.dng': 'camera raw (DNG)',
  '.cr2': 'camera raw (CR2)',
  '.nef': 'camera raw (NEF)',
  '.arw': 'camera raw (ARW)',
  '.ppm': 'PPM',
  '.pgm': 'PGM'
}

/** Names that operating systems and tools scatter in folders; skipped without a word. Dotfiles
 * (.DS_Store, ._x.jpg from macOS, .git) are skipped by the scan before this is consulted. */
const JUNK_NAMES: ReadonlySet<string> = new Set([
  'thumbs.db', 'ehthumbs.db', 'desktop.ini', '__macosx', '@eadir', '$recycle.bin', 'system volume information'
])

export function isJunkName(name: string): boolean {
  return name.startsWith('.') || JUNK_NAMES.has(name.toLowerCase())
}

export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.')
  return dot <= 0 ? '' : name.slice(dot).toLowerCase()
}

/** Why a file with this name is not handed to the decoder, or null when it is. */
export function nonImageReason(name: string): string | null {
  const ext = extensionOf(name)
  if (IMAGE_EXTENSIONS.has(ext)) return null
  const unsupported = UNSUPPORTED_EXTENSIONS[ext]
  if (unsupported) return `unsupported format: ${unsupported} (convert to PNG or JPEG to import it)`
  return ext ? `not an image file (${ext})` : 'not an image file (no extension)'
}

export type SniffKind = { kind: 'image'; label: string; supported: boolean } | { kind: 'other'; label: string }

const startsWith = (buf: Uint8Array, sig: readonly number[], at = 0): boolean =>
  buf.length >= at + sig.length && sig.every((b, i) => buf[at + i] === b)

const ascii = (buf: Uint8Array, from: number, to: number): string => Buffer.from(buf.subarray(from, to)).toString('latin1')

/** Names the content from its first bytes. Only used to word a failure: sharp decides what it
 * can decode, this says what the file probably is when it cannot. */
export function sniff(buf: Uint8Array): SniffKind {
  if (startsWith(buf, [0xff, 0xd8, 0xff])) return { kind: 'image', label: 'JPEG', supported: true }
  if (startsWith(buf, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { kind: 'image', label: 'PNG', supported: true }
  if (ascii(buf, 0, 4) === 'RIFF' && ascii(buf, 8, 12) === 'WEBP') return { kind: 'image', label: 'WebP', supported: true }
  if (ascii(buf, 0, 4) === 'GIF8') return { kind: 'image', label: 'GIF', supported: true }
  if (startsWith(buf, [0x49, 0x49, 0x2a, 0x00]) || startsWith(buf, [0x4d, 0x4d, 0x00, 0x2a])) {
    return { kind: 'image', label: 'TIFF', supported: true }
  }
  if (ascii(buf, 4, 8) === 'ftyp') {
    const brand = ascii(buf, 8, 12)
    if (brand === 'avif' || brand === 'avis') return { kind: 'image', label: 'AVIF', supported: true }
    if (/^(heic|heix|hevc|hevx|heim|heis|mif1|msf1)$/.test(brand)) return { kind: 'image', label: 'HEIF', supported: true }
    return { kind: 'other', label: 'video or other media file' }
  }
  if (ascii(buf, 0, 2) === 'BM') return { kind: 'image', label: 'BMP', supported: false }
  if (ascii(buf, 0, 4) === '8BPS') return { kind: 'image', label: 'PSD', supported: false }
  if (startsWith(buf, [0x00, 0x00, 0x01, 0x00])) return { kind: 'image', label: 'ICO', supported: false }
  if (startsWith(buf, [0xff, 0x0a]) || ascii(buf, 4, 8) === 'JXL ') return { kind: 'image', label: 'JPEG XL', supported: false }
  if (ascii(buf, 4, 8) === 'jP  ' || startsWith(buf, [0xff, 0x4f, 0xff, 0x51])) {
    return { kind: 'image', label: 'JPEG 2000', supported: false }
  }
  if (ascii(buf, 0, 5) === '%PDF-') return { kind: 'other', label: 'PDF document' }
  if (ascii(buf, 0, 4) === 'PK\u0003\u0004') return { kind: 'other', label: 'ZIP archive or office document' }
  const head = ascii(buf, 0, Math.min(buf.length, 512)).trimStart().toLowerCase()
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) {
    return { kind: 'image', label: 'SVG', supported: false }
  }
  if (head.startsWith('<!doctype html') || head.startsWith('<html')) {
    return { kind: 'other', label: 'HTML page, perhaps a failed download' }
  }
  if (looksLikeText(buf)) return { kind: 'other', label: 'text file' }
  return { kind: 'other', label: 'unrecognised content' }
}

/** No NUL bytes and almost only printable characters in the first 512 bytes (UTF-8 allowed). */
function looksLikeText(buf: Uint8Array): boolean {
  const n = Math.min(buf.length, 512)
  if (n === 0) return false
  let odd = 0
  for (let i = 0; i < n; i++) {
    const b = buf[i]!
    if (b === 0) return false
    if (b < 0x09 || (b > 0x0d && b < 0x20) || b === 0x7f) odd++
  }
  return odd / n < 0.02
}
