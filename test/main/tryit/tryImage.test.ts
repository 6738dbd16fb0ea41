// Try it through the service, on a small trained hymenoptera project: the same probabilities as
// `predict` on the file, and every bad picture refused with the import's reason.
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Studio } from '../../../src/main/studio/studio'
import { TRY_MAX_BYTES } from '../../../src/shared/tryit'
import { trainedProject, type TrainedProject } from '../export/trainedProject'
import { bombPng, noisyJpeg } from '../dataset/fixtures'
import { tempDir } from '../../helpers/tmp'

let tp: TrainedProject

beforeAll(async () => {
  tp = await trainedProject({ train: 6, val: 3 })
}, 300_000)
afterAll(async () => {
  await tp?.studio.close()
})

const b64 = (buf: Buffer): string => buf.toString('base64')
const refusal = (p: Promise<unknown>): Promise<unknown> => p.then(() => ({ code: 'NONE' }), (e: { code: string; message: string }) => ({ code: e.code, message: e.message }))

describe('tryImage', () => {
  it("gives the chosen model's probabilities, the same as predict on the file", async () => {
    const image = tp.valid[0]!
    const tried = await tp.api.tryImage({ image: b64(fs.readFileSync(image.path)) })
    const predicted = await tp.api.predict({ paths: [image.path] })
    expect(tried.modelId).toBe(predicted.modelId)
    expect(tried.classes).toEqual(['ants', 'bees'])
    expect(tried.probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5)
    expect(tried.label).toBe(predicted.results[0]!.label)
    tried.classes.forEach((c, i) => expect(tried.probs[i]).toBeCloseTo(predicted.results[0]!.probs![c]!, 6))
    expect(tried.format).toBe('jpeg')
    expect(tried.width).toBeGreaterThan(0)
  })

  it('finds the nearest training images (the picture embedded on the fly), most similar first', async () => {
    // a training image itself: its own copy in the project is the nearest, at similarity ~1
    const trainDir = path.join(tp.data, 'train', 'bees')
    const file = path.join(trainDir, fs.readdirSync(trainDir).sort()[0]!)
    const tried = await tp.api.tryImage({ image: b64(fs.readFileSync(file)), k: 4 })
    expect(tried.nearestNote).toBeNull()
    expect(tried.nearest).toHaveLength(4)
    expect(tried.nearest![0]).toMatchObject({ path: file, className: 'bees' })
    expect(tried.nearest![0]!.similarity).toBeGreaterThan(0.999)
    const sims = tried.nearest!.map((n) => n.similarity)
    expect([...sims].sort((a, b) => b - a)).toEqual(sims)
    for (const n of tried.nearest!) expect(n.path.startsWith(path.join(tp.data, 'train'))).toBe(true)
    expect((await tp.api.tryImage({ image: b64(fs.readFileSync(file)), k: 0 })).nearest).toEqual([])
  })

  it('names the model asked for, and refuses one that does not exist', async () => {
    const { modelId } = await tp.api.tryImage({ image: b64(await noisyJpeg(64, 64)) })
    expect((await tp.api.tryImage({ image: b64(await noisyJpeg(64, 64)), modelId })).modelId).toBe(modelId)
    expect(await refusal(tp.api.tryImage({ image: b64(await noisyJpeg(64, 64)), modelId: 999 }))).toMatchObject({ code: 'UNKNOWN_MODEL', message: expect.stringContaining('there is no model 999') })
  })

  it('refuses a non-image, a broken picture and a decompression bomb with the reason an import gives', async () => {
    expect(await refusal(tp.api.tryImage({ image: b64(Buffer.from('just some notes, not a photo\n'.repeat(20))) }))).toEqual({
      code: 'BAD_IMAGE',
      message: 'This file cannot be used: not an image (text file).'
    })
    const jpeg = await noisyJpeg(320, 240)
    expect(await refusal(tp.api.tryImage({ image: b64(jpeg.subarray(0, jpeg.length >> 1)) }))).toMatchObject({
      code: 'BAD_IMAGE',
      message: expect.stringMatching(/^This file cannot be used: corrupt or truncated JPEG/)
    })
    expect(await refusal(tp.api.tryImage({ image: b64(bombPng(50_000, 50_000)) }))).toMatchObject({
      code: 'BAD_IMAGE',
      message: expect.stringContaining('image too large to decode safely: 50000x50000')
    })
  })

  it('refuses a picture over the size limit, an empty one and garbled base64', async () => {
    // the page checks the size first and says so in its words; the service refuses it too
    const big = Buffer.alloc(TRY_MAX_BYTES + 3)
    expect((await refusal(tp.api.tryImage({ image: b64(big.subarray(0, TRY_MAX_BYTES)) }))) as { code: string }).not.toMatchObject({ code: 'BAD_ARGS' })
    expect(await refusal(tp.api.tryImage({ image: b64(big) }))).toMatchObject({ code: 'BAD_ARGS', message: expect.stringContaining('larger than Try it takes (12 MB)') })
    expect(await refusal(tp.api.tryImage({ image: '' }))).toMatchObject({ code: 'BAD_ARGS' })
    expect(await refusal(tp.api.tryImage({ image: 'not base64 at all!' }))).toMatchObject({ code: 'BAD_IMAGE', message: expect.stringContaining('malformed') })
  })

  it('leaves no temporary file behind', async () => {
    const tmp = path.dirname(tempDir())
    const before = fs.readdirSync(tmp).filter((n) => n.startsWith('thaw-try-'))
    await tp.api.tryImage({ image: b64(await noisyJpeg(64, 64)) })
    await refusal(tp.api.tryImage({ image: b64(Buffer.from('text\n'.repeat(50))) }))
    expect(fs.readdirSync(tmp).filter((n) => n.startsWith('thaw-try-'))).toEqual(before)
  })

  it('says to train first in a project with no model', async () => {
    const studio = new Studio({ engineWorkers: 1 })
    try {
      await studio.api().createProject({ path: path.join(tempDir(), 'empty') })
      expect(await refusal(studio.api().tryImage({ image: b64(await noisyJpeg(32, 32)) }))).toEqual({
        code: 'NO_MODEL',
        message: 'There is no trained model yet: train one on the Train screen first.'
      })
    } finally {
      await studio.close()
    }
  })
})
