// The preprocessing in the registry is checked the only way that counts: real photos through
// the real weights. ImageNet class 310 is 'ant', 309 is 'bee'.
import * as tf from '@tensorflow/tfjs'
import fs from 'node:fs'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadBackbone, type LoadedBackbone } from '../../../src/main/backbones/load'
import { preprocessPixels, resizeOptions, toInputArray, toInputBatch, toInputTensor, type RgbImage } from '../../../src/main/backbones/preprocess'
import type { BackboneSpec, Preprocessing } from '../../../src/main/backbones/types'
import { initBackend } from '../../../src/main/engine/backend'
import { mulberry32 } from '../../../src/main/util/random'
import { BACKBONE_MIRROR, HYMENOPTERA, tempDir } from '../../helpers/tmp'

const ANT = 310
const BEE = 309
const PER_CLASS = 4

const photos = ['ants', 'bees'].flatMap((cls) =>
  fs
    .readdirSync(path.join(HYMENOPTERA, 'val', cls))
    .sort()
    .slice(0, PER_CLASS)
    .map((name) => ({ file: path.join(HYMENOPTERA, 'val', cls, name), want: cls === 'ants' ? ANT : BEE }))
)

async function decode(file: string, spec: BackboneSpec): Promise<RgbImage> {
  const { width, height, fit, position } = resizeOptions(spec)
  const data = await sharp(file).removeAlpha().toColourspace('srgb').resize(width, height, { fit, position }).raw().toBuffer()
  return { data, width, height }
}

/** Class probabilities for each photo with a given preprocessing. */
async function classify(backbone: LoadedBackbone, preprocessing: Preprocessing): Promise<Float32Array[]> {
  const spec = { ...backbone.spec, preprocessing }
  const images = await Promise.all(photos.map((photo) => decode(photo.file, spec)))
  const input = toInputBatch(images, spec)
  const output = backbone.model.predict(input) as tf.Tensor
  const flat = (await output.data()) as Float32Array
  tf.dispose([input, output])
  const classes = flat.length / photos.length
  return photos.map((_, i) => flat.slice(i * classes, (i + 1) * classes))
}

beforeAll(async () => {
  await initBackend('wasm')
})

const topK = (p: Float32Array, k: number): number[] => [...p.keys()].sort((a, b) => (p[b] as number) - (p[a] as number)).slice(0, k)

describe('toInputBatch', () => {
  const spec = { inputSize: [1, 2] as const, preprocessing: { resize: 'squash', scale: 1 / 127.5, offset: -1, channels: 'RGB' } as Preprocessing }
  const image: RgbImage = { data: Uint8Array.from([0, 127.5, 255, 255, 0, 51]), width: 2, height: 1 }

  it('scales and offsets every channel, keeping RGB order', () => {
    const batch = toInputBatch([image, image], spec)
    expect(batch.shape).toEqual([2, 1, 2, 3])
    expect(Array.from(batch.dataSync().slice(0, 6))).toEqual([-1, 127 / 127.5 - 1, 1, 1, -1, 51 / 127.5 - 1].map((v) => Math.fround(v)))
    batch.dispose()
  })

  it('reverses channels for BGR models', () => {
    const single = toInputTensor(image, { ...spec, preprocessing: { ...spec.preprocessing, channels: 'BGR', scale: 1, offset: 0 } })
    expect(single.shape).toEqual([1, 2, 3])
    expect(Array.from(single.dataSync())).toEqual([255, 127, 0, 51, 0, 255])
    single.dispose()
  })

  it('refuses images of the wrong size or with an alpha channel', () => {
    expect(() => toInputBatch([{ ...image, width: 1 }], spec)).toThrow(/1x1; the backbone expects 2x1/)
    expect(() => toInputBatch([{ data: new Uint8Array(8), width: 2, height: 1 }], spec)).toThrow(/3-channel RGB/)
  })

  it('tells the decoder how to resize: squash fills, center-crop covers', () => {
    expect(resizeOptions({ inputSize: [224, 224], preprocessing: { ...spec.preprocessing, resize: 'squash' } })).toMatchObject({ width: 224, height: 224, fit: 'fill' })
    expect(resizeOptions({ inputSize: [224, 224], preprocessing: { ...spec.preprocessing, resize: 'center-crop' } }).fit).toBe('cover')
  })
})

/** The per-pixel arithmetic the studio has always used, written out plainly: the reference the
 * table-driven packing must match bit for bit. */
function reference(data: ArrayLike<number>, pre: Preprocessing): Float32Array {
  const out = new Float32Array(data.length)
  const mean = pre.mean ?? [0, 0, 0]
  const std = pre.std ?? [1, 1, 1]
  for (let i = 0; i < data.length; i += 3) {
    for (let c = 0; c < 3; c++) {
      const v = data[i + (pre.channels === 'BGR' ? 2 - c : c)]!
      out[i + c] = pre.mean || pre.std ? v * (pre.scale / std[c]!) + (pre.offset - mean[c]!) / std[c]! : v * pre.scale + pre.offset
    }
  }
  return out
}

describe('toInputArray packs exactly what the per-pixel arithmetic gives', () => {
  const rand = mulberry32(7)
  const pixels = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256))
  const variants: [string, Preprocessing][] = [
    ['[-1, 1] RGB', { resize: 'squash', scale: 1 / 127.5, offset: -1, channels: 'RGB' }],
    ['[0, 1] BGR', { resize: 'squash', scale: 1 / 255, offset: 0, channels: 'BGR' }],
    ['ImageNet mean/std RGB', { resize: 'center-crop', scale: 1 / 255, offset: 0, channels: 'RGB', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }],
    ['caffe mean BGR', { resize: 'squash', scale: 1, offset: 0, channels: 'BGR', mean: [103.939, 116.779, 123.68] }]
  ]
  for (const [name, pre] of variants) {
    it(`${name}: every value of every image, into a fresh or a reused buffer`, () => {
      const spec = { inputSize: [3, 5] as const, preprocessing: pre }
      const images: RgbImage[] = [0, 1, 2].map(() => ({ data: pixels(45), width: 5, height: 3 }))
      images[1]!.data.set([0, 0, 0, 255, 255, 255], 0) // the ends of the table
      const want = new Float32Array(images.flatMap((im) => Array.from(reference(im.data, pre))))
      expect(toInputArray(images, spec).data).toEqual(want)
      const reused = new Float32Array(200).fill(NaN)
      const packed = toInputArray(images, spec, reused)
      expect(packed.data).toEqual(want)
      expect(packed.data.buffer).toBe(reused.buffer) // packed in place, not copied
      expect(packed.shape).toEqual([3, 3, 5, 3])
      // pixels held as numbers (not bytes) take the arithmetic path, to the same values
      expect(preprocessPixels(Array.from(images[0]!.data), pre)).toEqual(reference(images[0]!.data, pre))
      expect(preprocessPixels(images[0]!.data, pre)).toEqual(reference(images[0]!.data, pre))
    })
  }

  it('keeps fractional pixel values exact on the number path (no table rounding)', () => {
    const pre: Preprocessing = { resize: 'squash', scale: 1 / 127.5, offset: -1, channels: 'RGB' }
    const data = [0.5, 127.25, 254.75, 3.5, 1000, -4]
    expect(preprocessPixels(data, pre)).toEqual(reference(data, pre))
  })

  it('allocates a new buffer when the one offered is too small', () => {
    const spec = { inputSize: [1, 1] as const, preprocessing: variants[0]![1] }
    const small = new Float32Array(2)
    const packed = toInputArray([{ data: Uint8Array.from([1, 2, 3]), width: 1, height: 1 }], spec, small)
    expect(packed.data.buffer).not.toBe(small.buffer)
    expect(packed.data).toEqual(reference([1, 2, 3], variants[0]![1]))
  })
})

describe('preprocessing verified on hymenoptera photos', () => {
  const loaded = new Map<string, LoadedBackbone>()

  beforeAll(async () => {
    const cacheDir = tempDir('thaw-cache-')
    for (const id of ['mobilenet_v2_1.0_224', 'mobilenet_v1_0.75_224', 'nsfwjs_mobilenet_v2']) {
      loaded.set(id, await loadBackbone(id, { cacheDir, mirror: BACKBONE_MIRROR }))
    }
  })
  afterAll(() => {
    for (const { model } of loaded.values()) model.dispose()
  })

  it.each([['mobilenet_v2_1.0_224'], ['mobilenet_v1_0.75_224']])('%s sees ants and bees with its registered preprocessing', async (id) => {
    const backbone = loaded.get(id) as LoadedBackbone
    const labels = JSON.parse(fs.readFileSync(path.join(BACKBONE_MIRROR, id, backbone.spec.classifier?.labelsFile ?? ''), 'utf8')) as string[] | { labels: string[] }
    const names = Array.isArray(labels) ? labels : labels.labels
    const probabilities = await classify(backbone, backbone.spec.preprocessing)
    const top1 = probabilities.map((p) => topK(p, 1)[0])
    console.info(`${id} top-1: ${top1.map((c, i) => `${path.basename(photos[i]!.file)}=${names[c!]?.split(',')[0]}`).join(', ')}`)
    const inTop5 = probabilities.filter((p, i) => topK(p, 5).includes(photos[i]!.want)).length
    const right = top1.filter((c, i) => c === photos[i]!.want).length
    expect(inTop5).toBeGreaterThanOrEqual(photos.length - 2)
    expect(right).toBeGreaterThanOrEqual(photos.length / 2)

    // the check is sensitive: feeding raw 0..255 pixels loses every ant and bee
    const raw = await classify(backbone, { ...backbone.spec.preprocessing, scale: 1, offset: 0 })
    expect(raw.filter((p, i) => topK(p, 5).includes(photos[i]!.want)).length).toBeLessThanOrEqual(1)
  })

  it('the nsfwjs fallback gets exactly what nsfwjs itself feeds it (pixels / 255)', async () => {
    const backbone = loaded.get('nsfwjs_mobilenet_v2') as LoadedBackbone
    const ours = await classify(backbone, backbone.spec.preprocessing)
    const { load } = await import('nsfwjs')
    const reference = await load('MobileNetV2', { size: 224 })
    const classOrder = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy']
    for (let i = 0; i < 2; i++) {
      const image = await decode(photos[i]!.file, backbone.spec)
      const pixels = tf.tensor3d(image.data, [image.height, image.width, 3], 'int32')
      const predictions = await reference.classify(pixels, 5)
      pixels.dispose()
      for (const { className, probability } of predictions) expect(ours[i]![classOrder.indexOf(className)]).toBeCloseTo(probability, 4)
    }
    reference.dispose()
  })
})
