import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { probeImage, type ProbeFail, type ProbeOk, type ProbeResult } from '../../../src/main/dataset/probe'
import { tempDir } from '../../helpers/tmp'
import { BLUE, bombPng, exifRotatedJpeg, fakeHeic, noisyJpeg, scramble, solid, write } from './fixtures'

let dir: string
let photo: Buffer
beforeAll(async () => {
  dir = tempDir('thaw-probe-')
  photo = await noisyJpeg()
})

const file = (name: string, data: Uint8Array | string): string => write(path.join(dir, name), data)

function ok(result: ProbeResult): ProbeOk {
  if (!result.ok) throw new Error(`expected ok, got ${result.code}: ${result.reason}`)
  return result
}
function fail(result: ProbeResult): ProbeFail {
  if (result.ok) throw new Error(`expected a failure, got ok (${result.format} ${result.width}x${result.height})`)
  return result
}

describe('probeImage on good images', () => {
  it('hashes the bytes and reads the header of a JPEG', async () => {
    const p = file('photo.jpg', photo)
    const r = ok(await probeImage(p))
    expect(r.hash).toBe(createHash('sha256').update(photo).digest('hex'))
    expect(r).toMatchObject({ bytes: photo.length, width: 320, height: 240, format: 'jpeg', channels: 3, space: 'srgb', depth: 'uchar', hasAlpha: false, orientation: 1, pages: 1 })
    expect(r.mtimeMs).toBe(fs.statSync(p).mtimeMs)
    expect(r.warning).toBeUndefined()
  })

  it('gives width and height after EXIF orientation', async () => {
    const r = ok(await probeImage(file('rotated.jpg', await exifRotatedJpeg())))
    expect([r.width, r.height, r.orientation]).toEqual([20, 40, 6])
  })

  it.each([
    ['grey.png', () => solid(30, 20).toColourspace('b-w').png().toBuffer(), { format: 'png', space: 'b-w', channels: 1 }],
    ['grey.jpg', () => solid(30, 20).toColourspace('b-w').jpeg().toBuffer(), { format: 'jpeg', space: 'b-w', channels: 1 }],
    ['cmyk.jpg', () => solid(30, 20).toColourspace('cmyk').jpeg().toBuffer(), { format: 'jpeg', space: 'cmyk', channels: 4 }],
    ['sixteen.png', () => solid(30, 20).toColourspace('rgb16').png().toBuffer(), { format: 'png', depth: 'ushort' }],
    ['alpha.png', () => solid(30, 20).ensureAlpha(0.5).png().toBuffer(), { format: 'png', hasAlpha: true, channels: 4 }],
    ['photo.tiff', () => solid(30, 20).tiff().toBuffer(), { format: 'tiff' }],
    ['photo.webp', () => solid(30, 20).webp().toBuffer(), { format: 'webp' }],
    ['photo.avif', () => solid(30, 20).avif().toBuffer(), { format: 'avif' }],
    ['still.gif', () => solid(30, 20).gif().toBuffer(), { format: 'gif', pages: 1 }]
  ] as const)('accepts %s', async (name, make, expected) => {
    const r = ok(await probeImage(file(name, await make())))
    expect(r).toMatchObject({ width: 30, height: 20, ...expected })
  })

  it('accepts an animated GIF (its first frame is the image)', async () => {
    const frames = [await solid(30, 20).png().toBuffer(), await solid(30, 20, BLUE).png().toBuffer()]
    const gif = await sharp(frames, { join: { animated: true } }).gif().toBuffer()
    expect(ok(await probeImage(file('anim.gif', gif)))).toMatchObject({ format: 'gif', pages: 2, width: 30, height: 20 })
  })

  it('keeps a valid JPEG with junk between header segments, noting the warning', async () => {
    // 4 stray bytes after the APP0 segment: libjpeg warns, every pixel is intact
    const at = 4 + photo.readUInt16BE(4)
    const odd = Buffer.concat([photo.subarray(0, at), Buffer.from([0, 0, 0, 0]), photo.subarray(at)])
    const r = ok(await probeImage(file('odd.jpg', odd)))
    expect(r.warning).toMatch(/^decoded with a warning: Corrupt JPEG data: 4 extraneous bytes before marker 0x/)
  })

  it('accepts bytes after the end of the image (as phones append)', async () => {
    ok(await probeImage(file('trailer.jpg', Buffer.concat([photo, Buffer.from('MotionPhoto_Data'.repeat(50))]))))
  })
})

describe('probeImage on bad input', () => {
  it('reports a 0-byte file, with the hash of nothing', async () => {
    const r = fail(await probeImage(file('empty.jpg', '')))
    expect(r).toEqual({ ok: false, code: 'EMPTY', reason: 'empty file (0 bytes)', hash: createHash('sha256').digest('hex'), bytes: 0, mtimeMs: expect.any(Number) })
  })

  it.each([
    ['text.jpg', 'just some words, not a picture\n', 'not an image (text file)'],
    ['notes.txt', 'line one\nline two\n', 'not an image (text file)'],
    ['page.jpg', '<!DOCTYPE html><html><body>403 Forbidden</body></html>', 'not an image (HTML page, perhaps a failed download)'],
    ['doc.png', '%PDF-1.7\n%\u00e2\u00e3', 'not an image (PDF document)'],
    ['random.jpg', Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37 + 11) % 256)), 'not an image (unrecognised content)']
  ])('says %s is not an image', async (name, data, reason) => {
    const r = fail(await probeImage(file(name, data)))
    expect(r.code).toBe('NOT_AN_IMAGE')
    expect(r.reason).toBe(reason)
    expect(r.hash).toMatch(/^[0-9a-f]{64}$/)
  })

  it('notices a truncated JPEG whose header is intact', async () => {
    const cut = photo.subarray(0, Math.floor(photo.length * 0.7))
    expect((await sharp(cut).metadata()).width).toBe(320) // metadata alone does not notice
    const r = fail(await probeImage(file('cut.jpg', cut)))
    expect(r).toMatchObject({ code: 'CORRUPT', reason: 'corrupt or truncated JPEG: premature end of JPEG image', bytes: cut.length })
  })

  it('notices garbled data in the middle of a JPEG', async () => {
    const r = fail(await probeImage(file('garbled.jpg', scramble(photo, 0.5, 400))))
    expect(r.code).toBe('CORRUPT')
    expect(r.reason).toMatch(/^corrupt or truncated JPEG: Corrupt JPEG data: /)
  })

  it.each([
    ['cut.png', async () => (await sharp(photo).png().toBuffer()).subarray(0, 20_000), /^corrupt or truncated PNG: /],
    ['cut.tiff', async () => { const t = await sharp(photo).tiff().toBuffer(); return t.subarray(0, t.length >> 1) }, /^corrupt or truncated TIFF: header is damaged or the file is cut short$/],
    ['cut.gif', async () => { const g = await sharp(photo).gif().toBuffer(); return g.subarray(0, g.length >> 1) }, /^corrupt or truncated GIF: /],
    ['cut.webp', async () => { const w = await sharp(photo).webp().toBuffer(); return w.subarray(0, w.length >> 1) }, /^corrupt or truncated (WebP|WEBP): /],
    ['cut.avif', async () => { const a = await sharp(photo).avif().toBuffer(); return a.subarray(0, Math.floor(a.length * 0.7)) }, /^corrupt or truncated AVIF: .*end of file/],
    ['head.jpg', async () => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(100, 7)]), /^corrupt or truncated JPEG: /]
  ] as const)('reports %s as corrupt', async (name, make, reason) => {
    const r = fail(await probeImage(file(name, await make())))
    expect(r.code).toBe('CORRUPT')
    expect(r.reason).toMatch(reason)
    expect(r.reason).not.toMatch(/\n|bad seek/)
  })

  it('refuses a decompression bomb from its header, before decoding', async () => {
    const started = performance.now()
    const r = fail(await probeImage(file('bomb.png', bombPng(30000, 30000))))
    expect(r).toMatchObject({ code: 'TOO_LARGE', reason: 'image too large to decode safely: 30000x30000 = 900 MP > limit 100 MP' })
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('takes the pixel limit as an option', async () => {
    const p = file('big.jpg', await noisyJpeg(500, 400))
    expect(fail(await probeImage(p, { maxPixels: 100_000 })).reason).toBe('image too large to decode safely: 500x400 = 0.2 MP > limit 0.1 MP')
    ok(await probeImage(p, { maxPixels: 200_000 }))
  })

  it('refuses a file larger than the read limit without reading it', async () => {
    const r = fail(await probeImage(file('large.jpg', photo), { maxFileBytes: 1000 }))
    expect(r).toMatchObject({ code: 'FILE_TOO_BIG', bytes: photo.length })
    expect(r.reason).toMatch(/^file too large to read safely: 0\.\d MB > limit 0\.0 MB$/)
    expect(r.hash).toBeUndefined()
  })

  it('says HEIC cannot be decoded by this build', async () => {
    const r = fail(await probeImage(file('phone.heic', await fakeHeic())))
    expect(r).toMatchObject({
      code: 'UNSUPPORTED_FORMAT',
      reason: 'unsupported format: HEIC (this build of libvips has no HEVC decoder; convert to JPEG to import it)'
    })
  })

  it.each([
    ['vector.jpg', '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>', 'unsupported format: SVG (vector images are not imported; export a PNG)'],
    ['bitmap.jpg', Buffer.concat([Buffer.from('BM'), Buffer.alloc(60, 1)]), 'unsupported format: BMP (convert to PNG or JPEG to import it)']
  ])('says %s is a format we do not import', async (name, data, reason) => {
    expect(fail(await probeImage(file(name, data)))).toMatchObject({ code: 'UNSUPPORTED_FORMAT', reason })
  })

  it('reports a file that vanished, a folder and a FIFO as unreadable, without hanging', async () => {
    expect(fail(await probeImage(path.join(dir, 'gone.jpg'))).reason).toBe('cannot read file: it disappeared (moved or deleted during the import?)')
    fs.mkdirSync(path.join(dir, 'folder.jpg'))
    expect(fail(await probeImage(path.join(dir, 'folder.jpg'))).reason).toBe('not a regular file (device, socket, pipe or folder)')
    execFileSync('mkfifo', [path.join(dir, 'fifo.jpg')])
    expect(fail(await probeImage(path.join(dir, 'fifo.jpg'))).code).toBe('UNREADABLE')
  })
})
