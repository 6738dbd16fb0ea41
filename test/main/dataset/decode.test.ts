import path from 'node:path'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { browserCanShow, decodeForModel, decodePreview } from '../../../src/main/dataset/decode'
import { tempDir } from '../../helpers/tmp'
import { BLUE, RED, exifRotatedJpeg, near, solid, write } from './fixtures'

let dir: string
beforeAll(() => {
  dir = tempDir('thaw-decode-')
})

const px = (data: Uint8Array, size: number, x: number, y: number): number[] => {
  const i = (y * size + x) * 3
  return [data[i]!, data[i + 1]!, data[i + 2]!]
}

/** 60x20: red, blue, red thirds. Squash keeps all three; a centre crop sees only blue. */
async function thirds(): Promise<Buffer> {
  const blue = await solid(20, 20, BLUE).png().toBuffer()
  return solid(60, 20, RED).composite([{ input: blue, left: 20, top: 0 }]).png().toBuffer()
}

describe('decodeForModel', () => {
  it('squashes the whole picture into size x size x 3 bytes', async () => {
    const out = await decodeForModel(await thirds(), 30, 'squash')
    expect(out).toBeInstanceOf(Uint8Array)
    expect(out.length).toBe(30 * 30 * 3)
    expect(near(px(out, 30, 2, 15), [255, 0, 0])).toBe(true)
    expect(near(px(out, 30, 15, 15), [0, 0, 255])).toBe(true)
    expect(near(px(out, 30, 27, 15), [255, 0, 0])).toBe(true)
  })

  it('center-crops to the middle square', async () => {
    const out = await decodeForModel(await thirds(), 30, 'center-crop')
    for (const x of [1, 15, 28]) expect(near(px(out, 30, x, 15), [0, 0, 255])).toBe(true)
  })

  it('applies EXIF orientation (from a path)', async () => {
    const file = write(path.join(dir, 'rotated.jpg'), await exifRotatedJpeg())
    const out = await decodeForModel(file, 16, 'squash')
    expect(near(px(out, 16, 8, 2), [255, 0, 0])).toBe(true) // red on top
    expect(near(px(out, 16, 8, 13), [0, 0, 255])).toBe(true)
  })

  it.each([
    ['grey', () => solid(10, 10, { r: 100, g: 100, b: 100 }).toColourspace('b-w').png().toBuffer(), [100, 100, 100]],
    ['transparent', () => solid(10, 10, RED).ensureAlpha(0).png().toBuffer(), [255, 255, 255]],
    ['16-bit', () => solid(10, 10, BLUE).toColourspace('rgb16').png().toBuffer(), [0, 0, 255]],
    ['CMYK', () => solid(10, 10, { r: 180, g: 120, b: 80 }).toColourspace('cmyk').jpeg().toBuffer(), [180, 120, 80]]
  ] as const)('gives 3-channel 8-bit RGB for %s input', async (_name, make, colour) => {
    const out = await decodeForModel(await make(), 8, 'squash')
    expect(out.length).toBe(8 * 8 * 3)
    expect(near(px(out, 8, 4, 4), colour, 15)).toBe(true)
  })

  it('rejects a bad size and a damaged file', async () => {
    await expect(decodeForModel(await thirds(), 0, 'squash')).rejects.toThrow(/size must be an integer/)
    await expect(decodeForModel(Buffer.from('not an image'), 8, 'squash')).rejects.toThrow()
  })
})

describe('decodePreview', () => {
  it('turns a TIFF into an upright JPEG a browser can show', async () => {
    const file = write(path.join(dir, 'scan.tiff'), await sharp(await exifRotatedJpeg()).tiff().withMetadata({ orientation: 6 }).toBuffer())
    const preview = await decodePreview(file)
    expect(preview.contentType).toBe('image/jpeg')
    const meta = await sharp(preview.body).metadata()
    expect([meta.format, meta.width, meta.height, preview.width, preview.height]).toEqual(['jpeg', 20, 40, 20, 40])
  })

  it('keeps transparency as WebP and bounds the size', async () => {
    const preview = await decodePreview(await solid(3000, 1000).ensureAlpha(0.5).png().toBuffer())
    expect(preview.contentType).toBe('image/webp')
    expect([preview.width, preview.height]).toEqual([2048, 683])
    expect((await sharp(preview.body).metadata()).hasAlpha).toBe(true)
  })

  it('knows which files a browser shows as they are', () => {
    expect(browserCanShow('jpeg')).toBe(true)
    expect(browserCanShow('jpeg', 6)).toBe(false)
    expect(browserCanShow('tiff')).toBe(false)
    expect(browserCanShow('heic')).toBe(false)
  })
})
