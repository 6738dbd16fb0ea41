import { backend_util } from '@tensorflow/tfjs'
import type { TensorInfo } from '@tensorflow/tfjs'
import { copyWindow } from './heap_copies'
import { dim, type WasmOps } from './wasm_ops'

/** The padding attr that tfjs conv kernels accept. */
export type ConvPad = 'same' | 'valid' | number | backend_util.ExplicitPadding
export type RoundingMode = 'floor' | 'round' | 'ceil'

export type Pair = readonly [number, number]

/** Geometry of the forward conv whose gradient a kernel computes, always NHWC. */
export interface ConvGeometry {
  batch: number
  inHeight: number
  inWidth: number
  inChannels: number
  outHeight: number
  outWidth: number
  outChannels: number
  filterHeight: number
  filterWidth: number
  strides: Pair
  dilations: Pair
  padTop: number
  padLeft: number
}

export function convGeometry(
  xShape: readonly number[],
  filterShape: readonly number[],
  strides: number | readonly number[],
  dilations: number | readonly number[],
  pad: ConvPad,
  roundingMode: RoundingMode | undefined,
  depthwise: boolean
): ConvGeometry {
  const info = backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    toPair(strides),
    toPair(dilations),
    pad,
    roundingMode,
    depthwise,
    'channelsLast'
  )
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strides: [info.strideHeight, info.strideWidth],
    dilations: [info.dilationHeight, info.dilationWidth],
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left
  }
}

/** The kernels compute in NHWC; an explicit NCHW pad lists [batch, channel, rows, cols]. */
export function padAsNhwc(pad: ConvPad, channelsFirst: boolean): ConvPad {
  if (!channelsFirst || typeof pad !== 'object') return pad
  const [batch, channel, rows, cols] = pad
  return [batch, rows, cols, channel]
}

export function toPair(value: number | readonly number[]): [number, number] {
  if (typeof value === 'number') return [value, value]
  const [first, second] = value
  if (first === undefined) throw new Error(`Expected one or two numbers, got [${value}].`)
  return [first, second ?? first]
}

export function assertShape(name: string, actual: readonly number[], expected: readonly number[]): void {
  if (actual.length !== expected.length || actual.some((size, i) => size !== expected[i])) {
    throw new Error(`Thaw wasm kernel: ${name} has shape [${actual}], expected [${expected}].`)
  }
}

export function assertFloat32(kernelName: string, ...tensors: TensorInfo[]): void {
  for (const t of tensors) {
    if (t.dtype !== 'float32') throw new Error(`Thaw wasm ${kernelName} supports float32 only, got ${t.dtype}.`)
  }
}

/**
 * The input range a windowed op reads on one axis, split into the part that
 * exists (begin, size) and the zeros around it. Output i reads input
 * start + i*stride + t*dilation for taps t < kernel; anything outside
 * [0, inSize) counts as zero, so callers never need negative padding.
 */
export interface AxisWindow {
  begin: number
  size: number
  padBefore: number
  padAfter: number
}

export function fitWindow(
  inSize: number,
  start: number,
  outSize: number,
  stride: number,
  kernel: number,
  dilation: number
): AxisWindow {
  const end = start + (outSize - 1) * stride + (kernel - 1) * dilation + 1
  const begin = Math.min(Math.max(0, start), inSize)
  const stop = Math.max(Math.min(inSize, end), begin)
  return { begin, size: stop - begin, padBefore: begin - start, padAfter: end - stop }
}

/** Crops an NHWC tensor to the windows; returns null when nothing real is read. */
export function cropToWindows(
  ops: WasmOps,
  x: TensorInfo,
  rows: AxisWindow,
  cols: AxisWindow
): TensorInfo | null {
  if (rows.size <= 0 || cols.size <= 0) return null
  const whole = rows.begin === 0 && cols.begin === 0 && rows.size === dim(x, 1) && cols.size === dim(x, 2)
  if (whole) return x
  return copyWindow(ops, x, rows.begin, rows.size, cols.begin, cols.size)
}

/**
 * Spreads an NHWC tensor so element (i, j) lands at (i*sh, j*sw) with zeros
 * between: the transpose of a strided read, done with reshape + pad.
 */
export function zeroDilate(ops: WasmOps, x: TensorInfo, [sh, sw]: Pair): TensorInfo {
  if (sh === 1 && sw === 1) return x
  const [b, h, w, c] = [dim(x, 0), dim(x, 1), dim(x, 2), dim(x, 3)]
  const spread = ops.reshape(x, [b, h, 1, w, 1, c])
  const padded = ops.pad(spread, [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]])
  return ops.reshape(padded, [b, h * sh, w * sw, c])
}
