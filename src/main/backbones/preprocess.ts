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

function writeImage(image: { data: ArrayLike<number> }, pre: Preprocessing, out: Float32Array, offset: number): void {
  const { data } = image
  const { scale, offset: shift } = pre
  if (pre.mean || pre.std) {
    // per channel: (pixel * scale + offset - mean[c]) / std[c], folded into one multiply-add each
    const mean = pre.mean ?? [0, 0, 0]
    const std = pre.std ?? [1, 1, 1]
    const a = [0, 1, 2].map((c) => scale / std[c]!)
    const b = [0, 1, 2].map((c) => (shift - mean[c]!) / std[c]!)
    const bgr = pre.channels === 'BGR'
    for (let i = 0; i < data.length; i += 3) {
      for (let c = 0; c < 3; c++) out[offset + i + c] = (data[i + (bgr ? 2 - c : c)] as number) * a[c]! + b[c]!
    }
    return
  }
  if (pre.channels === 'RGB') {
    for (let i = 0; i < data.length; i++) out[offset + i] = (data[i] as number) * scale + shift
    return
  }
  for (let i = 0; i < data.length; i += 3) {
    out[offset + i] = (data[i + 2] as number) * scale + shift
    out[offset + i + 1] = (data[i + 1] as number) * scale + shift
    out[offset + i + 2] = (data[i] as number) * scale + shift
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
 * takes). The scaling runs in plain JS into one buffer. */
export function toInputArray(images: readonly RgbImage[], spec: Pick<BackboneSpec, 'inputSize' | 'preprocessing'>): { data: Float32Array; shape: [number, number, number, 3] } {
  const [height, width] = spec.inputSize
  const size = height * width * 3
  const out = new Float32Array(images.length * size)
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
