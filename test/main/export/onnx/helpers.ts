// Shared by the ONNX export tests: the wasm backend, seeded random weights and inputs, a
// tf.io handler for model folders, sharp-decoded images, and the tfjs-vs-onnxruntime comparison.
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import sharp from 'sharp'
import { tfjsToOnnx, verifyOnnx, type OnnxExportOptions, type VerifyResult } from '../../../../src/main/export/onnx'
import { mulberry32 } from '../../../../src/main/util/random'

const mirror = process.env['THAW_MODEL_MIRROR']
/** The model mirror folder (THAW_MODEL_MIRROR may also be a URL, which these tests cannot read). */
export const BACKBONES = mirror && !/^[a-z]+:\/\//i.test(mirror) ? mirror : path.resolve(__dirname, '../../../../../shared/backbones')
export const HYMENOPTERA = path.resolve(__dirname, '../../../../../shared/datasets/hymenoptera')
export const TOLERANCE = 1e-4

export async function useWasm(): Promise<void> {
  await tf.setBackend('wasm')
  await tf.ready()
}

/** A small seeded generator, so that a failing case can be replayed exactly. */
export const rng = mulberry32

export function uniform(n: number, lo: number, hi: number, next: () => number): Float32Array {
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * next()
  return out
}

/** Values of the right scale for each kind of weight, so activations stay O(1) through a model
 * (an all-zero bias or an identity BatchNorm would hide a wrong translation). */
function randomWeight(name: string, shape: number[], next: () => number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1)
  const leaf = name.split('/').pop() ?? name
  let values: Float32Array
  if (leaf.includes('variance')) values = uniform(n, 0.5, 1.5, next)
  else if (leaf.includes('gamma')) values = uniform(n, 0.5, 1.5, next)
  else if (leaf.includes('kernel')) {
    // Fan-in: the window (times input channels, except for depthwise kernels).
    const fanIn = leaf.includes('depthwise') ? (shape[0] ?? 1) * (shape[1] ?? 1) : n / (shape[shape.length - 1] ?? 1)
    const limit = Math.sqrt(3 / Math.max(fanIn, 1))
    values = uniform(n, -limit, limit, next)
  } else values = uniform(n, -0.5, 0.5, next)
  return tf.tensor(values, shape)
}

export function randomizeWeights(model: tf.LayersModel | tf.layers.Layer, seed: number): void {
  const next = rng(seed)
  const fresh = model.weights.map((w) => randomWeight(w.originalName ?? w.name, w.shape as number[], next))
  model.setWeights(fresh)
  tf.dispose(fresh)
}

/** y = layers(...) applied in a chain to one input: the usual shape of a test model. */
export function chain(shape: (number | null)[], ...layers: tf.layers.Layer[]): tf.LayersModel {
  const input = tf.input({ shape, name: 'x' })
  let y: tf.SymbolicTensor = input
  for (const layer of layers) y = layer.apply(y) as tf.SymbolicTensor
  return tf.model({ inputs: input, outputs: y })
}

export interface Comparison extends VerifyResult {
  bytes: Uint8Array
  convertMs: number
}

/** Runs `model` in tfjs (wasm) and its ONNX export in onnxruntime on the same batch. */
export async function compare(
  model: tf.LayersModel,
  batch: Float32Array,
  batchShape: number[],
  opts: OnnxExportOptions = {}
): Promise<Comparison> {
  const t0 = performance.now()
  const bytes = await tfjsToOnnx(model, opts)
  const convertMs = performance.now() - t0
  const expected = tf.tidy(() => (model.predict(tf.tensor(batch, batchShape)) as tf.Tensor).dataSync() as Float32Array)
  const result = await verifyOnnx(bytes, batch, new Float32Array(expected), { inputShape: batchShape, threads: 1 })
  return { ...result, bytes, convertMs }
}

export function randomBatch(shape: number[], seed: number, lo = -2, hi = 2): Float32Array {
  return uniform(
    shape.reduce((a, b) => a * b, 1),
    lo,
    hi,
    rng(seed)
  )
}

/** A tf.io handler for a model folder (model.json + the shards its manifest names). tfjs's own
 * file:// loader only exists in tfjs-node. */
export function folderHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON
      const weightSpecs: tf.io.WeightsManifestEntry[] = []
      const shards: Buffer[] = []
      for (const group of json.weightsManifest) {
        weightSpecs.push(...group.weights)
        for (const p of group.paths) shards.push(await readFile(path.join(dir, p)))
      }
      const all = Buffer.concat(shards)
      return {
        modelTopology: json.modelTopology,
        weightSpecs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer
      }
    }
  }
}

/** RGB 0..255 as float32 NHWC, resized (stretched) to size x size as the studio does. */
export async function loadImages(files: string[], size: number): Promise<Float32Array> {
  const out = new Float32Array(files.length * size * size * 3)
  for (const [i, file] of files.entries()) {
    const { data } = await sharp(file)
      .resize(size, size, { fit: 'fill' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true })
    if (data.length !== size * size * 3) throw new Error(`${file} decoded to ${data.length} bytes`)
    out.set(data, i * size * size * 3)
  }
  return out
}
