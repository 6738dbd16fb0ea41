import * as tf from '@tensorflow/tfjs'
import { expect } from 'vitest'
import { registerWasmTrainingKernels } from '../../../../src/main/engine/kernels'
import { mulberry32 } from '../../../../src/main/util/random'

export type Shape4 = [number, number, number, number]
/** Explicit pads are [[0,0],[top,bottom],[left,right],[0,0]] for NHWC, [[0,0],[0,0],[top,bottom],[left,right]] for NCHW. */
export type Pad = 'same' | 'valid' | number | [number, number][]
export type Attrs = Record<string, unknown>

export interface HostTensor {
  shape: number[]
  data: Float32Array
}

/** Deterministic uniform numbers in [0, 1), so a failing case can be rerun. */
export const seededRandom = mulberry32

export function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1))
}

export function pick<T>(random: () => number, values: readonly T[]): T {
  return values[Math.floor(random() * values.length)]!
}

export function randomTensor(random: () => number, shape: number[]): HostTensor {
  const size = shape.reduce((a, b) => a * b, 1)
  return { shape, data: Float32Array.from({ length: size }, () => random() * 2 - 1) }
}

export async function useWasmWithTrainingKernels(): Promise<void> {
  registerWasmTrainingKernels()
  await tf.setBackend('wasm')
}

/** Runs one kernel on a backend from host data and returns host data; nothing stays allocated. */
export async function runKernelOn(
  backend: 'cpu' | 'wasm',
  kernelName: string,
  inputs: Record<string, HostTensor>,
  attrs: Attrs
): Promise<HostTensor> {
  await tf.setBackend(backend)
  const tensors: tf.NamedTensorMap = {}
  for (const [name, host] of Object.entries(inputs)) tensors[name] = tf.tensor(host.data, host.shape, 'float32')
  try {
    const out = expectNoLeak(`${kernelName} on ${backend}`, () => {
      const result = tf.engine().runKernel(kernelName, tensors, attrs as tf.NamedAttrMap) as tf.Tensor
      const host = { shape: result.shape, data: result.dataSync() as Float32Array }
      result.dispose()
      return host
    })
    return out
  } finally {
    tf.dispose(Object.values(tensors))
  }
}

/**
 * float32 sums of a few hundred products of numbers in [-1, 1]: the two
 * backends add in different orders, so allow ~1e-5 of the largest magnitude.
 */
export function expectClose(actual: HostTensor, expected: HostTensor, context: string): void {
  expect(actual.shape, context).toEqual(expected.shape)
  let scale = 0
  let worst = 0
  for (let i = 0; i < expected.data.length; i++) {
    scale = Math.max(scale, Math.abs(expected.data[i]!))
    worst = Math.max(worst, Math.abs(actual.data[i]! - expected.data[i]!))
  }
  expect(worst, `${context}: max |wasm - reference| = ${worst} (reference scale ${scale})`).toBeLessThanOrEqual(
    1e-6 + 2e-5 * scale
  )
}

/** A [kh, kw, c, m] filter with (d-1) zero rows/cols between taps: the same conv without dilation. */
export function dilateFilter(filter: HostTensor, [dh, dw]: [number, number]): HostTensor {
  const [kh, kw, c, m] = filter.shape as Shape4
  const height = (kh - 1) * dh + 1
  const width = (kw - 1) * dw + 1
  const data = new Float32Array(height * width * c * m)
  const tap = c * m
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const from = (i * kw + j) * tap
      data.set(filter.data.subarray(from, from + tap), (i * dh * width + j * dw) * tap)
    }
  }
  return { shape: [height, width, c, m], data }
}

/** Inverse of dilateFilter for gradients: keeps the taps that exist in the dilated conv. */
export function undilateFilter(filter: HostTensor, [dh, dw]: [number, number], kh: number, kw: number): HostTensor {
  const [, width, c, m] = filter.shape as Shape4
  const tap = c * m
  const data = new Float32Array(kh * kw * tap)
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const from = (i * dh * width + j * dw) * tap
      data.set(filter.data.subarray(from, from + tap), (i * kw + j) * tap)
    }
  }
  return { shape: [kh, kw, c, m], data }
}

export function describePad(pad: Pad): string {
  return typeof pad === 'object' ? JSON.stringify(pad) : String(pad)
}

/** Small random explicit pads for rows and columns (they can exceed the filter extent). */
export function randomSpatialPads(random: () => number, max: number): [[number, number], [number, number]] {
  return [
    [randomInt(random, 0, max), randomInt(random, 0, max)],
    [randomInt(random, 0, max), randomInt(random, 0, max)]
  ]
}

/** Output size of the forward conv (as tfjs computes it), so generated cases always have a non-empty dy. */
export function outputSize(
  size: number,
  kernel: number,
  stride: number,
  dilation: number,
  padding: 'same' | 'valid' | number | [number, number],
  rounding: 'floor' | 'round' | 'ceil' | undefined
): number {
  const effective = (kernel - 1) * dilation + 1
  if (padding === 'same') return Math.ceil(size / stride)
  if (padding === 'valid') return Math.ceil((size - effective + 1) / stride)
  const [before, after] = typeof padding === 'number' ? [padding, padding] : padding
  const exact = (size - effective + before + after) / stride + 1
  const round = rounding === undefined ? Math.trunc : Math[rounding]
  return round(exact)
}

/** Runs `body` and fails if it leaves tensors behind, either in the engine or inside the wasm backend. */
export function expectNoLeak<T>(context: string, body: () => T): T {
  const tensorsBefore = tf.memory().numTensors
  const dataBefore = tf.engine().backend.numDataIds()
  const result = body()
  expect(tf.memory().numTensors, `${context}: engine tensors`).toBe(tensorsBefore)
  expect(tf.engine().backend.numDataIds(), `${context}: wasm data ids`).toBe(dataBefore)
  return result
}
