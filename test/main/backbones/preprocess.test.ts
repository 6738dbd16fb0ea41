// The preprocessing in the registry is checked the only way that counts: real photos through
// the real weights. ImageNet class 310 is 'ant', 309 is 'bee'.
import * as tf from '@tensorflow/tfjs'
import fs from 'node:fs'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadBackbone, type LoadedBackbone } from '../../../src/main/backbones/load'
import { resizeOptions, toInputBatch, toInputTensor, type RgbImage } from '../../../src/main/backbones/preprocess'
import type { BackboneSpec, Preprocessing } from '../../../src/main/backbones/types'
import { initBackend } from '../../../src/main/engine/backend'
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
