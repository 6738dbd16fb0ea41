/** Odd and bad images, generated on the fly so nothing binary lives in the repo. */
import fs from 'node:fs'
import path from 'node:path'
import sharp, { type Sharp } from 'sharp'

export const RED = { r: 255, g: 0, b: 0 }
export const BLUE = { r: 0, g: 0, b: 255 }

export function write(file: string, data: Uint8Array | string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, data)
  return file
}

export function solid(width: number, height: number, colour = RED): Sharp {
  return sharp({ create: { width, height, channels: 3, background: colour } })
}

/** A photo-like noisy JPEG, large enough that cutting it short loses real scan data. */
export async function noisyJpeg(width = 320, height = 240, seed = 1): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 40 * seed, g: 120, b: 60 }, noise: { type: 'gaussian', mean: 128, sigma: 50 } } })
    .jpeg({ quality: 90 })
    .toBuffer()
}

/** Left half red, right half blue, stored with EXIF orientation 6 ("rotate 90° clockwise to
 * view"): stored 40x20, seen as 20x40 with red on top and blue below. */
export async function exifRotatedJpeg(): Promise<Buffer> {
  const blueHalf = await solid(20, 20, BLUE).png().toBuffer()
  const stored = await solid(40, 20, RED).composite([{ input: blueHalf, left: 20, top: 0 }]).png().toBuffer()
  return sharp(stored).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer()
}

/** A PNG whose header declares width x height but holds no pixel data: a decompression bomb's
 * header in 60 bytes, so refusing it is tested without a huge file. */
export function bombPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 2 // colour type RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])),
    pngChunk('IEND', Buffer.alloc(0))
  ])
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([len, body, crc])
}

function crc32(buf: Uint8Array): number {
  let c = 0xffffffff
  for (const byte of buf) {
    c ^= byte
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  }
  return (c ^ 0xffffffff) >>> 0
}

/**
 * A HEIC (HEVC) file for this machine, where no HEVC encoder exists: sharp's own AVIF with the
 * brands, the item type and the codec configuration box switched to HEVC's. libheif parses it as
 * HEIC and then needs an HEVC decoder, exactly like an iPhone photo would.
 */
export async function fakeHeic(): Promise<Buffer> {
  const avif = await solid(40, 20).avif().toBuffer()
  const at = (type: string, buf: Buffer): number => buf.indexOf(type, 0, 'latin1') - 4
  const av1C = at('av1C', avif)
  const oldSize = avif.readUInt32BE(av1C)
  const hvcC = Buffer.alloc(8 + 23)
  hvcC.writeUInt32BE(hvcC.length)
  hvcC.write('hvcC', 4, 'latin1')
  hvcC[8] = 1 // configurationVersion; no parameter-set arrays
  const out = Buffer.concat([avif.subarray(0, av1C), hvcC, avif.subarray(av1C + oldSize)])
  const delta = hvcC.length - oldSize
  for (const box of ['meta', 'iprp', 'ipco']) {
    const o = at(box, out)
    out.writeUInt32BE(out.readUInt32BE(o) + delta, o)
  }
  // iloc v0 with 4-byte base offsets: the one item's base offset points into mdat, which moved
  const iloc = at('iloc', out)
  if (out[iloc + 8] !== 0 || out[iloc + 12] !== 0x44 || out[iloc + 13] !== 0x40) throw new Error('unexpected iloc layout in sharp AVIF output')
  const baseOffset = iloc + 8 + 4 + 2 + 2 + 2 + 2
  out.writeUInt32BE(out.readUInt32BE(baseOffset) + delta, baseOffset)
  for (let i = out.indexOf('avif', 0, 'latin1'); i >= 0; i = out.indexOf('avif', i, 'latin1')) out.write('heic', i, 'latin1')
  out.write('hvc1', out.indexOf('av01', 0, 'latin1'), 'latin1')
  return out
}

/** Bytes [from, from+count) of `buf` scrambled: damage inside the entropy-coded data. */
export function scramble(buf: Buffer, fromFraction: number, count: number): Buffer {
  const out = Buffer.from(buf)
  const from = Math.floor(out.length * fromFraction)
  for (let i = from; i < Math.min(out.length - 2, from + count); i++) out[i] = (i * 7919) & 0xff
  return out
}

/** Pixel [r, g, b] at (x, y) of an encoded image, after decoding to raw sRGB. */
export async function pixelAt(file: string | Buffer, x: number, y: number): Promise<[number, number, number]> {
  const { data, info } = await sharp(file).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true })
  const i = (y * info.width + x) * info.channels
  return [data[i]!, data[i + 1]!, data[i + 2]!]
}

export function near(actual: readonly number[], expected: readonly number[], tolerance = 40): boolean {
  return actual.every((v, i) => Math.abs(v - expected[i]!) <= tolerance)
}
