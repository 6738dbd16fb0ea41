import fs from 'node:fs'
import path from 'node:path'
import sharp, { type Metadata } from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import type { ProbeOk, ProbeResult } from '../../../src/main/dataset/probe'
import { probeAndThumbnail, thumbnailPath, writeFileAtomic } from '../../../src/main/dataset/thumbnails'
import { tempDir } from '../../helpers/tmp'
import { BLUE, RED, exifRotatedJpeg, near, noisyJpeg, pixelAt, solid, write } from './fixtures'

let src: string
let thumbs: string
beforeAll(() => {
  src = tempDir('thaw-thumb-src-')
  thumbs = tempDir('thaw-thumbs-')
})

function ok(result: ProbeResult): ProbeOk {
  if (!result.ok) throw new Error(`expected ok, got ${result.reason}`)
  return result
}

async function thumbOf(name: string, data: Buffer): Promise<{ probe: ProbeOk; meta: Metadata; file: string }> {
  const probe = ok(await probeAndThumbnail(write(path.join(src, name), data), thumbs))
  const file = thumbnailPath(thumbs, probe.hash)
  expect(probe.thumbnail).toBe(file)
  return { probe, meta: await sharp(file).metadata(), file }
}

describe('thumbnails', () => {
  it('are WebP files named by content hash, at most 256 px, aspect kept', async () => {
    const { probe, meta, file } = await thumbOf('wide.jpg', await noisyJpeg(640, 320))
    expect(file).toBe(path.join(thumbs, probe.hash.slice(0, 2), `${probe.hash}.webp`))
    expect([meta.format, meta.width, meta.height, meta.space, meta.channels, meta.hasAlpha]).toEqual(['webp', 256, 128, 'srgb', 3, false])
  })

  it('do not enlarge small images', async () => {
    const { meta } = await thumbOf('small.png', await solid(50, 30).png().toBuffer())
    expect([meta.width, meta.height]).toEqual([50, 30])
  })

  it('are upright for an EXIF-rotated JPEG', async () => {
    const { meta, file } = await thumbOf('rotated.jpg', await exifRotatedJpeg())
    expect([meta.width, meta.height]).toEqual([20, 40])
    expect(near(await pixelAt(file, 10, 5), [255, 0, 0])).toBe(true) // red on top
    expect(near(await pixelAt(file, 10, 35), [0, 0, 255])).toBe(true) // blue below
  })

  it.each([
    ['grey.png', () => sharp({ create: { width: 40, height: 40, channels: 3, background: { r: 128, g: 128, b: 128 } } }).toColourspace('b-w').png().toBuffer(), [128, 128, 128]],
    // a colour inside the CMYK gamut (pure sRGB blue is not, and comes back dull)
    ['cmyk.jpg', () => solid(40, 40, { r: 180, g: 120, b: 80 }).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer(), [180, 120, 80]],
    ['sixteen.png', () => solid(40, 40, RED).toColourspace('rgb16').png().toBuffer(), [255, 0, 0]],
    ['clear.png', () => solid(40, 40, RED).ensureAlpha(0).png().toBuffer(), [255, 255, 255]],
    ['frames.gif', async () => sharp([await solid(40, 40, RED).png().toBuffer(), await solid(40, 40, BLUE).png().toBuffer()], { join: { animated: true } }).gif().toBuffer(), [255, 0, 0]],
    ['photo.tiff', () => solid(40, 40, BLUE).tiff().toBuffer(), [0, 0, 255]],
    ['photo.avif', () => solid(40, 40, RED).avif().toBuffer(), [255, 0, 0]]
  ] as const)('come out as plain 8-bit sRGB from %s', async (name, make, colour) => {
    const { meta, file } = await thumbOf(name, await make())
    expect([meta.space, meta.channels, meta.depth, meta.hasAlpha, meta.pages ?? 1]).toEqual(['srgb', 3, 'uchar', false, 1])
    const px = await pixelAt(file, 20, 20)
    expect(near(px, colour, 60), `${name}: ${px.join(',')}`).toBe(true)
  })

  it('are made once: a second import of the same bytes does not decode or rewrite', async () => {
    const data = await noisyJpeg(300, 200, 3)
    const first = await thumbOf('once.jpg', data)
    const before = fs.statSync(first.file).mtimeMs
    fs.utimesSync(first.file, new Date(2001, 0, 1), new Date(2001, 0, 1))
    // the same bytes under another class: same hash, same thumbnail, nothing redone
    const again = ok(await probeAndThumbnail(write(path.join(src, 'other class/copy.jpg'), data), thumbs))
    expect(again.hash).toBe(first.probe.hash)
    expect(again.thumbnail).toBe(first.file)
    expect(fs.statSync(first.file).mtimeMs).not.toBe(before) // still the back-dated file
    expect(fs.statSync(first.file).mtime.getFullYear()).toBe(2001)
  })

  it('are not made for a file that fails', async () => {
    const r = await probeAndThumbnail(write(path.join(src, 'cut.jpg'), (await noisyJpeg()).subarray(0, 5000)), thumbs)
    expect(r.ok).toBe(false)
    expect(r.hash && fs.existsSync(thumbnailPath(thumbs, r.hash))).toBe(false)
  })

  it('leave no temporary files behind, even under concurrent writes of one hash', async () => {
    const dir = tempDir('thaw-atomic-')
    const target = path.join(dir, 'ab', 'abcdef.webp')
    await Promise.all(Array.from({ length: 8 }, (_, i) => writeFileAtomic(target, Buffer.alloc(1000, i))))
    expect(fs.readdirSync(path.join(dir, 'ab'))).toEqual(['abcdef.webp'])
    expect(fs.statSync(target).size).toBe(1000)
  })

  it('throw when the cache cannot be written, instead of blaming the image', async () => {
    const blocked = path.join(tempDir('thaw-blocked-'), 'thumbs')
    fs.writeFileSync(blocked, 'a file where the cache folder should be')
    const p = write(path.join(src, 'fine.jpg'), await noisyJpeg(100, 100, 2))
    await expect(probeAndThumbnail(p, blocked)).rejects.toThrow(/^cannot write thumbnail /)
  })
})
