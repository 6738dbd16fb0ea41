// Pixels to model input, one implementation for every caller (precompute, training, prediction,
// export checks), driven by the spec's Preprocessing record.
import * as tf from '@tensorflow/tfjs'
import { BackboneError } from './errors'
import type { BackboneSpec, Preprocessing } from './types'

/** A decoded image: interleaved 8-bit RGB, row-major, no alpha. */
export interface RgbImage {
  data: Uint8Array
  width: number
  height: number
}

/** The resize a decoder must apply before `toInputBatch`, in sharp's terms ('fill' stretches,
 * 'cover' scales the short side and crops the centre), so callers need not interpret the spec. */
export function resizeOptions(spec: Pick<BackboneSpec, 'inputSize' | 'preprocessing'>): {
  width: number
  height: number
  fit: 'fill' | 'cover'
  position: 'centre'
} {
  const [height, width] = spec.inputSize
  return { width, height, fit: spec.preprocessing.resize === 'squash' ? 'fill' : 'cover', position: 'centre' }
}

/** Per channel of the output, the input channel it reads and the float32 value of each of the
 * 256 pixel values: (pixel * scale + offset - mean[c]) / std[c] folded into one multiply-add,
 * computed in double and rounded once, exactly as a per-pixel loop would. Cached per
 * Preprocessing record (a handful exist). */
interface ChannelTables {
  source: [number, number, number]
  lut: [Float32Array, Float32Array, Float32Array]
}
const tables = new WeakMap<Preprocessing, ChannelTables>()

function channelTables(pre: Preprocessing): ChannelTables {
  let t = tables.get(pre)
  if (t) return t
  const { scale, offset: shift } = pre
  const normalized = !!(pre.mean || pre.std)
  const mean = pre.mean ?? [0, 0, 0]
  const std = pre.std ?? [1, 1, 1]
  const lut = [0, 1, 2].map((c) => {
    const a = scale / std[c]!
    const b = (shift - mean[c]!) / std[c]!
    const values = new Float32Array(256)
    for (let v = 0; v < 256; v++) values[v] = normalized ? v * a + b : v * scale + shift
    return values
  }) as ChannelTables['lut']
  const bgr = pre.channels === 'BGR'
  t = { source: bgr ? [2, 1, 0] : [0, 1, 2], lut }
  tables.set(pre, t)
  return t
}

/** Pixels to model input. 8-bit pixels (every decoded image) take a table lookup per value: the
 * packing of a batch runs on the thread that also drives the forward pass, so it must cost
 * little beside it. Other arrays (pixels held as numbers) take the same arithmetic per value. */
function writeImage(image: { data: ArrayLike<number> }, pre: Preprocessing, out: Float32Array, offset: number): void {
  const { data } = image
  const { source, lut } = channelTables(pre)
  const [s0, s1, s2] = source
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) {
    const [l0, l1, l2] = lut
    for (let i = 0; i + 2 < data.length; i += 3) {
      out[offset + i] = l0[data[i + s0]!]!
      out[offset + i + 1] = l1[data[i + s1]!]!
      out[offset + i + 2] = l2[data[i + s2]!]!
    }
    return
  }
  const { scale, offset: shift } = pre
  const mean = pre.mean ?? [0, 0, 0]
  const std = pre.std ?? [1, 1, 1]
  const normalized = !!(pre.mean || pre.std)
  const a = [0, 1, 2].map((c) => (normalized ? scale / std[c]! : scale))
  const b = [0, 1, 2].map((c) => (normalized ? (shift - mean[c]!) / std[c]! : shift))
  for (let i = 0; i + 2 < data.length; i += 3) {
    out[offset + i] = data[i + s0]! * a[0]! + b[0]!
    out[offset + i + 1] = data[i + s1]! * a[1]! + b[1]!
    out[offset + i + 2] = data[i + s2]! * a[2]! + b[2]!
  }
}

function checkImage(image: RgbImage, height: number, width: number, index: number): void {
  if (image.width !== width || image.height !== height) {
    throw new BackboneError('BACKBONE_BAD_IMAGE', `image ${index} is ${image.width}x${image.height}; the backbone expects ${width}x${height} (resize it first)`)
  }
  if (image.data.length !== width * height * 3) {
    throw new BackboneError('BACKBONE_BAD_IMAGE', `image ${index} has ${image.data.length} bytes, not ${width * height * 3}: expected 3-channel RGB without alpha`)
  }
}

/** A [n, h, w, 3] float32 batch ready for the backbone, as plain values (what ONNX Runtime
 * takes). The scaling runs in plain JS into one buffer: `into`'s start when it is large enough
 * (a caller packing batch after batch reuses one), else a new one. */
export function toInputArray(
  images: readonly RgbImage[],
  spec: Pick<BackboneSpec, 'inputSize' | 'preprocessing'>,
  into?: Float32Array
): { data: Float32Array; shape: [number, number, number, 3] } {
  const [height, width] = spec.inputSize
  const size = height * width * 3
  const out = into && into.length >= images.length * size ? into.subarray(0, images.length * size) : new Float32Array(images.length * size)
  images.forEach((image, i) => {
    checkImage(image, height, width, i)
    writeImage(image, spec.preprocessing, out, i * size)
  })
  return { data: out, shape: [images.length, height, width, 3] }
}

/** The same batch as a tensor: cheaper than a chain of tensor ops and nothing to dispose but the
 * result. */
export function toInputBatch(images: readonly RgbImage[], spec: Pick<BackboneSpec, 'inputSize' | 'preprocessing'>): tf.Tensor4D {
  const { data, shape } = toInputArray(images, spec)
  return tf.tensor4d(data, shape, 'float32')
}

export function toInputTensor(image: RgbImage, spec: Pick<BackboneSpec, 'inputSize' | 'preprocessing'>): tf.Tensor3D {
  const batch = toInputBatch([image], spec)
  const single = batch.reshape([spec.inputSize[0], spec.inputSize[1], 3]) as tf.Tensor3D
  batch.dispose()
  return single
}

/** Decoded pixels (0..255, interleaved RGB, any number of images) scaled by a spec's
 * preprocessing: for callers that hold a batch of pixels already (prediction). */
export function preprocessPixels(pixels: ArrayLike<number>, pre: Preprocessing): Float32Array {
  const out = new Float32Array(pixels.length)
  writeImage({ data: pixels }, pre, out, 0)
  return out
}
