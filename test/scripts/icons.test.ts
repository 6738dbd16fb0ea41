// The icons rendered from resources/icon.svg: every PNG at its size, and .ico / .icns files whose
// structure is read back here byte by byte (a reader written from the formats' documentation, not
// from png2icons) with every embedded image decoded.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ICON_FILES, PNG_SIZES, renderIcons } from '../../scripts/lib/icons'

const SOURCE = path.join(__dirname, '../../resources/icon.svg')
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

let dir: string
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'thaw-icons-'))
  await renderIcons(SOURCE, dir)
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

interface IcoEntry {
  width: number
  height: number
  bpp: number
  data: Buffer
}

/** ICONDIR (6 bytes) + one ICONDIRENTRY (16 bytes) per image; 0 in a size byte means 256. */
function readIco(buf: Buffer): IcoEntry[] {
  expect(buf.readUInt16LE(0)).toBe(0) // reserved
  expect(buf.readUInt16LE(2)).toBe(1) // 1 = icon (2 would be a cursor)
  const count = buf.readUInt16LE(4)
  const entries: IcoEntry[] = []
  for (let i = 0; i < count; i++) {
    const e = 6 + 16 * i
    const size = buf.readUInt32LE(e + 8)
    const offset = buf.readUInt32LE(e + 12)
    expect(offset + size).toBeLessThanOrEqual(buf.length)
    entries.push({ width: buf[e] || 256, height: buf[e + 1] || 256, bpp: buf.readUInt16LE(e + 6), data: buf.subarray(offset, offset + size) })
  }
  return entries
}

/** 'icns', the file's length (big-endian), then chunks of a four-letter type and their length. */
function readIcns(buf: Buffer): Map<string, Buffer> {
  expect(buf.toString('latin1', 0, 4)).toBe('icns')
  expect(buf.readUInt32BE(4)).toBe(buf.length)
  const chunks = new Map<string, Buffer>()
  let at = 8
  while (at < buf.length) {
    const type = buf.toString('latin1', at, at + 4)
    const length = buf.readUInt32BE(at + 4)
    expect(length).toBeGreaterThan(8)
    expect(at + length).toBeLessThanOrEqual(buf.length)
    chunks.set(type, buf.subarray(at + 8, at + length))
    at += length
  }
  expect(at).toBe(buf.length)
  return chunks
}

describe('renderIcons', () => {
  it('renders every PNG size electron-builder and the Linux desktop entry use, square, with alpha', async () => {
    for (const size of PNG_SIZES) {
      const meta = await sharp(path.join(dir, ICON_FILES.png(size))).metadata()
      expect([meta.format, meta.width, meta.height, meta.hasAlpha]).toEqual(['png', size, size, true])
    }
    expect(PNG_SIZES).toEqual(expect.arrayContaining([512, 1024]))
  })

  it('draws the mark, not a blank canvas: transparent corners, opaque blue ground, a white crystal', async () => {
    const { data, info } = await sharp(path.join(dir, ICON_FILES.png(256))).raw().toBuffer({ resolveWithObject: true })
    const px = (x: number, y: number): number[] => [...data.subarray((y * info.width + x) * 4, (y * info.width + x) * 4 + 4)]
    expect(px(2, 2)[3]).toBe(0)
    const ground = px(128, 40) // above the crystal's top arm
    expect(ground[3]).toBe(255)
    expect(ground[2]!).toBeGreaterThan(ground[0]! + 60) // blue
    const hub = px(128, 113) // the crystal's centre (452 / 1024 * 256)
    expect(hub.slice(0, 3).every((c) => c > 240)).toBe(true)
  })

  it('writes an .ico whose every image decodes at its declared size, 16 to 256 px', async () => {
    const entries = readIco(fs.readFileSync(path.join(dir, ICON_FILES.ico)))
    const sizes = entries.map((e) => e.width).sort((a, b) => a - b)
    expect(sizes).toEqual(expect.arrayContaining([16, 24, 32, 48, 64, 128, 256]))
    for (const e of entries) {
      expect(e.height).toBe(e.width)
      if (e.data.subarray(0, 8).equals(PNG_SIGNATURE)) {
        const meta = await sharp(e.data).metadata()
        expect([meta.width, meta.height]).toEqual([e.width, e.height])
      } else {
        // a DIB: BITMAPINFOHEADER, the height counting the AND mask too, 32 bits with alpha
        expect(e.data.readUInt32LE(0)).toBe(40)
        expect(e.data.readInt32LE(4)).toBe(e.width)
        expect(e.data.readInt32LE(8)).toBe(2 * e.height)
        expect(e.data.readUInt16LE(14)).toBe(32)
      }
    }
    // Windows Explorer's large views and the installer use the 256 px image: PNG there
    expect(entries.find((e) => e.width === 256)!.data.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true)
  })

  it('writes an .icns with the retina PNG chunks macOS reads, each decoding at its size', async () => {
    const chunks = readIcns(fs.readFileSync(path.join(dir, ICON_FILES.icns)))
    const pngTypes = { ic11: 32, ic12: 64, ic07: 128, ic13: 256, ic08: 256, ic14: 512, ic09: 512, ic10: 1024 }
    for (const [type, size] of Object.entries(pngTypes)) {
      const data = chunks.get(type)
      expect(data, type).toBeDefined()
      expect(data!.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true)
      const meta = await sharp(data!).metadata()
      expect([type, meta.width, meta.height]).toEqual([type, size, size])
    }
  })

  it('does nothing when the folder already holds this source, and renders again when the SVG changes', async () => {
    const own = fs.mkdtempSync(path.join(os.tmpdir(), 'thaw-icons-'))
    try {
      const svg = path.join(own, 'icon.svg')
      fs.copyFileSync(SOURCE, svg)
      const out = path.join(own, 'out')
      expect((await renderIcons(svg, out)).rendered).toBe(true)
      expect((await renderIcons(svg, out)).rendered).toBe(false)
      // a deleted output is made again
      fs.rmSync(path.join(out, ICON_FILES.icns))
      expect((await renderIcons(svg, out)).rendered).toBe(true)
      fs.writeFileSync(svg, fs.readFileSync(SOURCE, 'utf8').replace('#2646c4', '#c42646'))
      expect((await renderIcons(svg, out)).rendered).toBe(true)
      const { data } = await sharp(path.join(out, ICON_FILES.png(64))).raw().toBuffer({ resolveWithObject: true })
      const bottom = (57 * 64 + 32) * 4 // below the drop, inside the ground
      expect(data[bottom]!).toBeGreaterThan(data[bottom + 2]!) // now red at the bottom
    } finally {
      fs.rmSync(own, { recursive: true, force: true })
    }
  })

  it('refuses a source that is not an SVG, leaving no stamp that would pass it off as rendered', async () => {
    const own = fs.mkdtempSync(path.join(os.tmpdir(), 'thaw-icons-'))
    try {
      const bad = path.join(own, 'icon.svg')
      fs.writeFileSync(bad, 'not an svg')
      await expect(renderIcons(bad, path.join(own, 'out'))).rejects.toThrow()
      expect(fs.existsSync(path.join(own, 'out', ICON_FILES.stamp))).toBe(false)
    } finally {
      fs.rmSync(own, { recursive: true, force: true })
    }
  })
})
