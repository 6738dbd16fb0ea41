/** Turning libvips error text into something a person can read, and telling damage from quirks. */

// Library prefixes that say which loader spoke, not what is wrong.
const PREFIX =
  /^(Input (buffer|file) has corrupt header|VipsJpeg|vipspng|heif|gifload(_buffer|_source)?|webp|webpload(_buffer|_source)?|tiff2vips|TIFFReadDirectory|jpegload(_buffer|_source)?|pngload(_buffer|_source)?|heifload(_buffer|_source)?|VipsForeignLoad\w*):\s*/i

/** The informative lines of a libvips error, library prefixes and seek noise removed,
 * duplicates dropped, at most `max` characters. */
export function trimVipsMessage(message: string, max = 160): string {
  const lines: string[] = []
  for (const raw of message.split('\n')) {
    let line = raw.trim()
    while (PREFIX.test(line)) line = line.replace(PREFIX, '')
    line = line.replace(/\s*\(\d+\.\d+\)$/, '') // libheif's numeric error codes
    if (!line || /^source: bad seek to/i.test(line) || /VIPS-WARNING/.test(line)) continue
    if (!lines.includes(line)) lines.push(line)
  }
  const text = lines.join('; ') || message.trim() || 'unknown error'
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

// Messages that mean pixel data is missing or garbled, as opposed to header quirks that
// libjpeg and friends warn about while decoding the picture perfectly.
const DAMAGE =
  /premature end|truncat|unexpected end|end of (file|data)|read error|huffman|found marker 0x|inconsistent progression|crc error|incorrect (header|data) check|unable to (parse|decode)|decompress/i

/**
 * Whether a decode failure under failOn 'warning' is real damage (reject the file) rather than
 * a quirk of a valid file (accept it, with the warning kept). libjpeg reports both as
 * "Corrupt JPEG data: N extraneous bytes before marker 0xXX": junk before a header marker
 * (APPn, DQT, DHT, SOF, SOS) leaves every pixel intact, while more than a few stray bytes
 * before a restart marker or the end of image mean the entropy-coded data lost sync.
 */
export function isDamage(message: string): boolean {
  if (DAMAGE.test(message)) return true
  for (const m of message.matchAll(/(\d+) extraneous bytes before marker 0x([0-9a-f]{2})/gi)) {
    const count = Number(m[1])
    const marker = parseInt(m[2]!, 16)
    if (marker >= 0xd0 && marker <= 0xd9 && count > 16) return true
  }
  return false
}

/** libheif's way of saying it has no decoder for this compression (HEVC in sharp's prebuilt). */
export function isMissingCodec(message: string): boolean {
  return /compression format|unsupported codec|no decoder|decoder plugin/i.test(message)
}
