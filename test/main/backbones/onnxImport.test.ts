// Importing an ONNX feature extractor: what is read from the file (layout, size, feature output),
// the features it gives against TF.js's own forward of the same network, the refusals (each
// clear, each leaving the cache as it was), and a copy that goes missing or changes.
import * as tf from '@tensorflow/tfjs'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildSegment, importOnnxBackbone, loadOnnxBackbone, type LoadedBackbone, type Preprocessing } from '../../../src/main/backbones'
import { toInputArray } from '../../../src/main/backbones/preprocess'
import { decodeForModel } from '../../../src/main/dataset/decode'
import { initBackend } from '../../../src/main/engine/backend'
import { CHECK_TOLERANCE } from '../../../src/main/engine/onnx/tolerance'
import { OnnxBackboneForward } from '../../../src/main/engine/onnx/importedBackbone'
import { mobileNetV2, mobileNetV2Onnx, tinyOnnx } from '../../helpers/onnxBackbone'
import { HYMENOPTERA, tempDir } from '../../helpers/tmp'

const MINUS_ONE: Preprocessing = { resize: 'center-crop', scale: 1 / 127.5, offset: -1, channels: 'RGB' }
const settings = { runtime: 'auto' as const, provider: 'cpu' as const, threads: 1 }
let bb: LoadedBackbone
let nhwc: string
let nchw: string

beforeAll(async () => {
  await initBackend('wasm')
  bb = await mobileNetV2()
  nhwc = await mobileNetV2Onnx(bb, 'NHWC')
  nchw = await mobileNetV2Onnx(bb, 'NCHW')
}, 120_000)
afterAll(() => bb.model.dispose())

const listing = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).map(String).sort() : [])

async function images(n: number): Promise<{ data: Uint8Array; width: number; height: number }[]> {
  const dir = path.join(HYMENOPTERA, 'val', 'bees')
  const files = fs.readdirSync(dir).sort().slice(0, n)
  return Promise.all(files.map(async (f) => ({ data: await decodeForModel(path.join(dir, f), 224, 'center-crop'), width: 224, height: 224 })))
}

describe('importOnnxBackbone', () => {
  it('reads the layout, the size and the feature from the file, and keeps a checked copy in the cache', async () => {
    for (const [file, layout] of [[nhwc, 'NHWC'], [nchw, 'NCHW']] as const) {
      const cacheDir = tempDir('thaw-cache-')
      const spec = await importOnnxBackbone(file, { preprocessing: MINUS_ONE, cacheDir, displayName: 'MobileNetV2 features' })
      expect(spec).toMatchObject({
        inputSize: [224, 224],
        featureLayer: 'features',
        featureShape: [7, 7, 1280],
        groups: [],
        source: { kind: 'onnx', importedFrom: file },
        onnx: { input: 'pixel_values', output: 'features', layout, outputRank: 4, batchOne: false }
      })
      expect(spec.id).toMatch(/^onnx-mobilenet-v2-features-n[hc]+w?c?-[0-9a-f]{8}$/)
      // the converted segment holds MobileNetV2's weights up to the feature layer (no head)
      expect(spec.params).toBeGreaterThan(2_000_000)
      expect(spec.params).toBeLessThan(3_487_816)
      const loaded = await loadOnnxBackbone(spec.id, { cacheDir })
      expect(loaded.source.sha256).toBe(spec.files[0]!.sha256)
      expect(Buffer.from(loaded.bytes).equals(fs.readFileSync(file))).toBe(true)
    }
  })

  it('gives the features TF.js gives for the same network, NHWC and NCHW alike', async () => {
    const pics = await images(4)
    const input = toInputArray(pics, { inputSize: [224, 224], preprocessing: MINUS_ONE })
    const seg = buildSegment(bb.model, null, bb.spec.featureLayer)
    const ref = tf.tidy(() => {
      const map = seg.predict(tf.tensor(input.data, input.shape)) as tf.Tensor4D
      return tf.concat([tf.mean(map, [1, 2]), tf.max(map, [1, 2])], 1).dataSync() as Float32Array
    })
    seg.dispose()
    for (const file of [nhwc, nchw]) {
      const spec = await importOnnxBackbone(file, { preprocessing: MINUS_ONE, cacheDir: tempDir('thaw-cache-') })
      const forward = new OnnxBackboneForward(fs.readFileSync(file), spec.id, spec.onnx!, 'concat-pool', settings)
      const out = await forward.run(input.data, input.shape)
      expect(out.shape).toEqual([4, 2560])
      expect(forward.status()).toMatchObject({ runtime: 'onnx', provider: { name: 'cpu' }, check: null })
      let diff = 0
      let scale = 0
      for (let i = 0; i < ref.length; i++) {
        diff = Math.max(diff, Math.abs(out.data[i]! - ref[i]!))
        scale = Math.max(scale, Math.abs(ref[i]!))
      }
      console.info(`${spec.onnx!.layout}: max |ONNX - TF.js| ${diff.toExponential(2)}, ${(diff / scale).toExponential(2)} relative`)
      expect(diff / scale).toBeLessThanOrEqual(CHECK_TOLERANCE)
      // the map itself too, as NHWC whatever the file's layout
      const maps = new OnnxBackboneForward(fs.readFileSync(file), spec.id, spec.onnx!, 'none', settings)
      expect((await maps.run(input.data, input.shape)).shape).toEqual([4, 7, 7, 1280])
      await forward.release()
      await maps.release()
    }
  }, 120_000)

  it('refuses what is not an image feature extractor, clearly, and writes nothing', async () => {
    const cacheDir = tempDir('thaw-cache-')
    const text = path.join(tempDir(), 'notes.onnx')
    fs.writeFileSync(text, 'these are not the weights you are looking for\n')
    const cases: [string, Parameters<typeof importOnnxBackbone>[1], string, RegExp][] = [
      [text, { preprocessing: MINUS_ONE }, 'BACKBONE_NOT_ONNX', /is not an ONNX model that ONNX Runtime can load/],
      [await tinyOnnx('dense'), { preprocessing: MINUS_ONE }, 'BACKBONE_NO_IMAGE_INPUT', /has no image-shaped input: its input input is float32 \[N, 10\]/],
      [await tinyOnnx('any-size'), { preprocessing: MINUS_ONE }, 'BACKBONE_DYNAMIC_SHAPE', /leaves its image size open .* --input-size/],
      [await tinyOnnx('two-outputs'), { preprocessing: MINUS_ONE }, 'BACKBONE_SEVERAL_OUTPUTS', /has 2 outputs that could be the feature .*say which with --output/],
      [nhwc, { preprocessing: MINUS_ONE, maxBytes: 1_000_000 }, 'FILE_TOO_LARGE', /over the limit of/],
      [nhwc, { preprocessing: MINUS_ONE, inputSize: [160, 160] }, 'BACKBONE_DYNAMIC_SHAPE', /takes 224x224 images, not the 160x160 given by --input-size/],
      [nhwc, { preprocessing: MINUS_ONE, output: 'logits' }, 'BACKBONE_BAD_LAYER', /has no output named logits; its outputs are features float32/],
      [nhwc, { preprocessing: MINUS_ONE, layout: 'NCHW' }, 'BACKBONE_NO_IMAGE_INPUT', /as NCHW that is 224 channels, not 3/],
      [nhwc, {}, 'BACKBONE_NO_PREPROCESSING', /say how .* expects its pixels .*--preprocessing imagenet/]
    ]
    for (const [file, options, code, message] of cases) {
      const err = await importOnnxBackbone(file, { ...options, cacheDir }).then(() => null, (e: Error & { code?: string }) => e)
      expect(err, `${path.basename(file)} ${JSON.stringify(options)}`).not.toBeNull()
      expect({ code: err!.code, message: err!.message }).toMatchObject({ code, message: expect.stringMatching(message) })
    }
    expect(listing(cacheDir)).toEqual([])
  }, 120_000)

  it('settles an open size with --input-size, and several outputs with --output', async () => {
    const cacheDir = tempDir('thaw-cache-')
    const any = await importOnnxBackbone(await tinyOnnx('any-size'), { preprocessing: MINUS_ONE, cacheDir, inputSize: [64, 64] })
    expect(any).toMatchObject({ inputSize: [64, 64], featureShape: [31, 31, 8], onnx: { layout: 'NHWC' } })
    const two = await tinyOnnx('two-outputs')
    const names = (await importOnnxBackbone(two, { preprocessing: MINUS_ONE, cacheDir, output: 'logits' })).onnx!
    expect(names).toMatchObject({ output: 'logits', outputRank: 2 })
    const vector = await loadOnnxBackbone(`onnx-two-outputs-${(await importOnnxBackbone(two, { preprocessing: MINUS_ONE, cacheDir, output: 'logits' })).files[0]!.sha256.slice(0, 8)}`, { cacheDir })
    // a vector feature is a 1x1 map: concat pooling gives it twice, as the head expects 2c values
    expect(vector.spec.featureShape).toEqual([1, 1, 5])
  })

  it('runs a file that fixes its batch at 1 image by image, with the same features as one at a time', async () => {
    const file = await tinyOnnx('batch-one')
    const spec = await importOnnxBackbone(file, { preprocessing: MINUS_ONE, cacheDir: tempDir('thaw-cache-') })
    expect(spec).toMatchObject({ inputSize: [32, 32], featureShape: [15, 15, 4], onnx: { batchOne: true, layout: 'NHWC' } })
    const forward = new OnnxBackboneForward(fs.readFileSync(file), spec.id, spec.onnx!, 'concat-pool', settings)
    const x = Float32Array.from({ length: 3 * 32 * 32 * 3 }, (_, i) => Math.sin(i))
    const all = await forward.run(x, [3, 32, 32, 3])
    expect(all.shape).toEqual([3, 8])
    for (let i = 0; i < 3; i++) {
      const one = await forward.run(x.subarray(i * 3072, (i + 1) * 3072), [1, 32, 32, 3])
      expect(Array.from(all.data.subarray(i * 8, (i + 1) * 8))).toEqual(Array.from(one.data))
    }
    await forward.release()
  })

  it('says so when the cached copy goes missing or changes, and how to mend it', async () => {
    const cacheDir = tempDir('thaw-cache-')
    const spec = await importOnnxBackbone(nhwc, { preprocessing: MINUS_ONE, cacheDir, id: 'my-mobilenet' })
    const copy = path.join(cacheDir, 'my-mobilenet', 'model.onnx')
    const bytes = fs.readFileSync(copy)
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff
    fs.writeFileSync(copy, bytes)
    await expect(loadOnnxBackbone(spec.id, { cacheDir })).rejects.toMatchObject({
      code: 'BACKBONE_CHECKSUM',
      message: expect.stringMatching(/changed since it was imported .*import it again: thaw import-backbone .*mobilenet_v2_features_nhwc\.onnx --id my-mobilenet/)
    })
    fs.rmSync(copy)
    await expect(loadOnnxBackbone(spec.id, { cacheDir })).rejects.toMatchObject({ code: 'BACKBONE_NOT_CACHED', message: expect.stringMatching(/is missing/) })
  })
})
