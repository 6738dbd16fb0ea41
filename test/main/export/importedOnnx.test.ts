// The bundle model of an imported ONNX backbone on small files, one per path through the glue:
// an NHWC map, an NCHW file with a vector output (a CLIP-like embedding) under BGR and per-channel
// mean/std, and a file that fixes its batch at 1. Each merged model, run by onnxruntime on raw
// pixels, is set beside what the studio computes (ImportedClassifier's steps: preprocessPixels,
// the file on onnxruntime, concatPool in JS, the head on TF.js). Then the refusals.
import * as tf from '@tensorflow/tfjs'
import * as ort from 'onnxruntime-node'
import fs from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { BackboneSpec, OnnxBackboneIo, Preprocessing } from '../../../src/main/backbones'
import { preprocessPixels } from '../../../src/main/backbones/preprocess'
import { initBackend } from '../../../src/main/engine/backend'
import { concatPool, nchwToNhwc, nhwcToNchw } from '../../../src/main/engine/onnx/importedBackbone'
import { FILES } from '../../../src/main/export/bundleFiles'
import { bundlePreprocessing } from '../../../src/main/export/exportTask'
import { importedBundleModel, type ImportedBundleInput } from '../../../src/main/export/importedOnnx'
import { writeManifest } from '../../../src/main/export/manifest'
import { tfjsToOnnx } from '../../../src/main/export/onnx'
import { readModel, writeModel } from '../../../src/main/export/onnx/lossless'
import { openBundle } from '../../../src/main/export/runner'
import { buildHead } from '../../../src/main/training/head'
import { fuseHead } from '../../../src/main/training/fuse'
import { tempDir } from '../../helpers/tmp'

const SIZE = 32
const N = 3

beforeAll(async () => {
  await initBackend('wasm')
})

interface Case {
  file: Uint8Array
  io: OnnxBackboneIo
  pre: Preprocessing
  featureShape: [number, number, number]
}

/** A small conv net as the user's file: NHWC or NCHW in, a map (in its layout) or a vector out. */
async function userFile(o: { layout: 'NHWC' | 'NCHW'; vector: boolean; batchOne?: boolean }): Promise<Uint8Array> {
  const nchw = o.layout === 'NCHW'
  const shape = nchw ? [3, SIZE, SIZE] : [SIZE, SIZE, 3]
  const input = o.batchOne ? tf.input({ batchShape: [1, ...shape], name: 'pixels' }) : tf.input({ shape, name: 'pixels' })
  let x = nchw ? (tf.layers.permute({ dims: [2, 3, 1] }).apply(input) as tf.SymbolicTensor) : input
  x = tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(x) as tf.SymbolicTensor
  if (o.vector) x = tf.layers.dense({ units: 5, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }).apply(tf.layers.globalAveragePooling2d({}).apply(x)) as tf.SymbolicTensor
  else if (nchw) x = tf.layers.permute({ dims: [3, 1, 2] }).apply(x) as tf.SymbolicTensor
  const net = tf.model({ inputs: input, outputs: x })
  // the converter names its values like the head's converter does: the prefixes must keep them apart
  const bytes = await tfjsToOnnx(net, { inputName: 'pixels', outputName: 'embedding' })
  net.dispose()
  return bytes
}

function spec(c: Case): ImportedBundleInput['spec'] {
  return { id: 'test-onnx', inputSize: [SIZE, SIZE], preprocessing: c.pre, featureShape: c.featureShape, onnx: c.io }
}

function pixels(n: number): Float32Array {
  const x = new Float32Array(n * SIZE * SIZE * 3)
  for (let i = 0; i < x.length; i++) x[i] = (i * 7919) % 256
  return x
}

/** What the studio predicts: ImportedClassifier's steps, one by one. */
async function studio(c: Case, head: tf.LayersModel, raw: Float32Array, n: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(c.file)
  try {
    const x = preprocessPixels(raw, c.pre)
    const feed = c.io.layout === 'NCHW' ? nhwcToNchw(x, [n, SIZE, SIZE, 3]) : x
    const dims = c.io.layout === 'NCHW' ? [n, 3, SIZE, SIZE] : [n, SIZE, SIZE, 3]
    const out = (await session.run({ [c.io.input]: new ort.Tensor('float32', feed, dims) }))[c.io.output]!
    const d = out.dims as number[]
    const [h, w, ch] = d.length === 2 ? [1, 1, d[1]!] : c.io.layout === 'NCHW' ? [d[2]!, d[3]!, d[1]!] : [d[1]!, d[2]!, d[3]!]
    const map = d.length === 4 && c.io.layout === 'NCHW' ? nchwToNhwc(out.data as Float32Array, [n, ch, h, w]) : (out.data as Float32Array)
    const pooled = concatPool(map, n, h * w, ch)
    return tf.tidy(() => (head.predict(tf.tensor2d(pooled, [n, 2 * ch])) as tf.Tensor).dataSync() as Float32Array)
  } finally {
    await session.release()
  }
}

async function bundleRun(bytes: Uint8Array, raw: Float32Array, n: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes)
  try {
    return (await session.run({ image: new ort.Tensor('float32', raw, [n, SIZE, SIZE, 3]) }))['probabilities']!.data as Float32Array
  } finally {
    await session.release()
  }
}

const maxDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0)

function headFor(featureDim: number): tf.LayersModel {
  return fuseHead(buildHead(featureDim, 3, { seed: 11, hidden: 16 }))
}

const build = (c: Case, head: tf.LayersModel, extra: Partial<ImportedBundleInput> = {}) =>
  importedBundleModel({ file: c.file, spec: spec(c), head, producerVersion: 'test', docString: 'test', ...extra })

describe('importedBundleModel', () => {
  it('an NHWC file with a map output: the merged graph predicts what the studio does', async () => {
    const c: Case = {
      file: await userFile({ layout: 'NHWC', vector: false }),
      io: { input: 'pixels', layout: 'NHWC', output: 'embedding', outputRank: 4, batchOne: false },
      pre: { resize: 'squash', scale: 1 / 127.5, offset: -1, channels: 'RGB' },
      featureShape: [15, 15, 6]
    }
    const head = headFor(12)
    const built = await build(c, head)
    expect(built).toMatchObject({ opset: 13, batchOne: false })
    const raw = pixels(N)
    const d = maxDiff(await bundleRun(built.bytes, raw, N), await studio(c, head, raw, N))
    console.info(`NHWC map: max |difference| ${d.toExponential(2)}`)
    expect(d).toBeLessThanOrEqual(1e-5)
  })

  it('an NCHW file with a vector output, BGR and per-channel mean and std', async () => {
    const c: Case = {
      file: await userFile({ layout: 'NCHW', vector: true }),
      io: { input: 'pixels', layout: 'NCHW', output: 'embedding', outputRank: 2, batchOne: false },
      pre: { resize: 'center-crop', scale: 1 / 255, offset: 0, channels: 'BGR', mean: [0.48, 0.46, 0.41], std: [0.27, 0.26, 0.28] },
      featureShape: [1, 1, 5]
    }
    const head = headFor(10)
    const built = await build(c, head)
    const raw = pixels(N)
    const d = maxDiff(await bundleRun(built.bytes, raw, N), await studio(c, head, raw, N))
    console.info(`NCHW vector, BGR, mean/std: max |difference| ${d.toExponential(2)}`)
    expect(d).toBeLessThanOrEqual(1e-5)
    const names = readModel(built.bytes).graph!.node.map((n) => n.opType)
    expect(names.slice(0, 4)).toEqual(['Gather', 'Mul', 'Add', 'Transpose'])
  })

  it('a file that fixes its batch at 1: so does the bundle, and its runner goes image by image', async () => {
    const c: Case = {
      file: await userFile({ layout: 'NHWC', vector: false, batchOne: true }),
      io: { input: 'pixels', layout: 'NHWC', output: 'embedding', outputRank: 4, batchOne: true },
      pre: { resize: 'squash', scale: 1, offset: 0, channels: 'RGB' },
      featureShape: [15, 15, 6]
    }
    const head = headFor(12)
    const built = await build(c, head)
    expect(built.batchOne).toBe(true)
    const dir = tempDir('thaw-bundle-')
    fs.writeFileSync(path.join(dir, FILES.onnxModel), built.bytes)
    fs.writeFileSync(path.join(dir, FILES.labels), JSON.stringify(['a', 'b', 'c']))
    fs.writeFileSync(path.join(dir, FILES.preprocessing), JSON.stringify(bundlePreprocessing({ ...spec(c), featureLayer: 'embedding' } as BackboneSpec)))
    writeManifest(dir)
    const runner = await openBundle(dir)
    try {
      const raw = pixels(N)
      const want = new Float32Array(N * 3)
      for (let i = 0; i < N; i++) want.set(await studio(c, head, raw.subarray(i * SIZE * SIZE * 3, (i + 1) * SIZE * SIZE * 3), 1), i * 3)
      expect(maxDiff(await runner.run(raw, N), want)).toBeLessThanOrEqual(1e-5)
    } finally {
      await runner.close()
    }
    expect(JSON.parse(fs.readFileSync(path.join(dir, FILES.preprocessing), 'utf8')).input.shape).toEqual([1, SIZE, SIZE, 3])
  })

  describe('refuses, in words, what cannot be one checked file', () => {
    let c: Case
    let head: tf.LayersModel
    beforeAll(async () => {
      c = {
        file: await userFile({ layout: 'NHWC', vector: false }),
        io: { input: 'pixels', layout: 'NHWC', output: 'embedding', outputRank: 4, batchOne: false },
        pre: { resize: 'squash', scale: 1, offset: 0, channels: 'RGB' },
        featureShape: [15, 15, 6]
      }
      head = headFor(12)
    })
    const edited = (edit: (m: ReturnType<typeof readModel>) => void): Case => {
      const m = readModel(c.file)
      edit(m)
      return { ...c, file: writeModel(m) }
    }

    it('weights in a file beside it (external data)', async () => {
      const ext = edited((m) => {
        const t = m.graph!.initializer[0]!
        t.dataLocation = 1
        t.externalData = [{ key: 'location', value: 'weights.bin' }]
        delete t.rawData
      })
      await expect(build(ext, head)).rejects.toMatchObject({
        code: 'EXPORT_EXTERNAL_DATA',
        message: expect.stringMatching(/keeps the values of 1 tensor \(.+\) in files beside it \(external data\).*save it as a single \.onnx file/)
      })
    })

    it('an opset the head cannot be written at, or one the user asks for that the file does not have', async () => {
      const old = edited((m) => (m.opsetImport = [{ domain: '', version: 11 }]))
      await expect(build(old, head)).rejects.toMatchObject({ code: 'EXPORT_OPSET', message: expect.stringMatching(/uses ONNX opset 11.*opsets 13 to 21 only: export your network again/) })
      const newer = edited((m) => (m.opsetImport = [{ domain: 'ai.onnx', version: 23 }]))
      await expect(build(newer, head)).rejects.toMatchObject({ code: 'EXPORT_OPSET', message: expect.stringMatching(/uses ONNX opset 23/) })
      await expect(build(c, head, { opset: 17 })).rejects.toMatchObject({ code: 'EXPORT_OPSET', message: expect.stringMatching(/ask for opset 13, or for none$/) })
      expect((await build(c, head, { opset: 13 })).opset).toBe(13)
    })

    it('a file over the size limit, before reading it', async () => {
      await expect(build(c, head, { maxBytes: 1000 })).rejects.toMatchObject({ code: 'EXPORT_TOO_LARGE', message: expect.stringMatching(/would be \d+ MB, over the 0 MB/) })
    })

    it('a feature that needs another input than the image', async () => {
      const two = edited((m) => {
        const g = m.graph!
        g.input = [...g.input, { name: 'mask', type: g.input[0]!.type }]
        g.node = [...g.node, { name: 'masked', opType: 'Identity', input: ['mask'], output: ['masked'], attribute: [] }, { name: 'feat2', opType: 'Add', input: ['embedding', 'masked'], output: ['feat2'], attribute: [] }]
      })
      await expect(build({ ...two, io: { ...c.io, output: 'feat2' } }, head)).rejects.toMatchObject({ code: 'EXPORT_BAD_BACKBONE', message: expect.stringMatching(/needs inputs other than the image \(mask\)/) })
    })
  })
})
