import { DepthwiseConv2dNativeBackpropFilter } from '@tensorflow/tfjs'
import type { DepthwiseConv2dNativeBackpropFilterAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs'
import { assertFloat32, assertShape, convGeometry, fitWindow, type ConvGeometry } from './conv_geometry'
import { foldedWindow } from './heap_copies'
import { withWasmOps, WASM, type WasmOps } from './wasm_ops'

/**
 * dW[kh,kw,c,j] = sum over (b,oh,ow) of x[b, oh*s+kh*d-pt, ow*s+kw*d-pl, c] * dy[b,oh,ow,c*m+j].
 *
 * Done per tap this is 9 passes of multiply + reduce over the whole tensor,
 * memory bound and ~10x the forward pass on wasm. Instead dy itself serves as
 * a depthwise filter: with the batch folded into the channels (x as
 * [1, H, W, B*C], dy as [OH, OW, B*C, m]), a depthwise conv of x by dy with
 * stride d and dilation s yields every tap at once, [1, kh, kw, B*C*m], and
 * the batch is then summed out of a tensor the size of the filter.
 *
 * XNNPACK only has fast depthwise microkernels for 3, 4, 9 and 25 taps; other
 * filter sizes take a path ~8x slower. So dy is cut into blocks of those
 * sizes (3x3, with 3x1 / 1x3 / 2x2 at the edges), each a conv over the input
 * window it reads, and the partial gradients are added. (One conv over all
 * blocks side by side in the channels was tried: 4x slower, as its huge
 * filter no longer stays in cache across the 9 output taps.)
 */
const depthwiseBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo }
  const { strides, dilations, pad, dimRoundingMode, filterShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs
  assertFloat32(DepthwiseConv2dNativeBackpropFilter, x, dy)
  return withWasmOps(backend, (ops) => {
    const geo = convGeometry(x.shape, filterShape, strides, dilations ?? 1, pad, dimRoundingMode, true)
    assertShape('dy', dy.shape, [geo.batch, geo.outHeight, geo.outWidth, geo.outChannels])
    const multiplier = geo.outChannels / geo.inChannels
    const partials = planBlocks(geo.outHeight, geo.outWidth)
      .map((block) => blockGradient(ops, x, dy, block, geo))
      .filter((partial): partial is TensorInfo => partial !== null)
    if (partials.length === 0) return ops.zeros([geo.filterHeight, geo.filterWidth, geo.inChannels, multiplier])
    const taps = geo.filterHeight * geo.filterWidth
    const perImage = ops.reshape(ops.addN(partials), [taps, geo.batch, geo.outChannels])
    const summed = geo.batch === 1 ? perImage : ops.sum(perImage, [1])
    return ops.reshape(summed, [geo.filterHeight, geo.filterWidth, geo.inChannels, multiplier])
  })
}

/** A rectangle of dy used as one filter: where it starts and the size it is cut to (zero-filled past dy). */
export interface DyBlock {
  row: number
  col: number
  rows: number
  cols: number
}

const FAST_TAP_COUNTS = new Set([3, 4, 9, 25])
/** Filter shapes with a fast microkernel, fewest taps first. */
const FAST_SHAPES: ReadonlyArray<readonly [number, number]> = [[1, 3], [3, 1], [2, 2], [1, 4], [4, 1], [3, 3], [5, 5]]
/** 5x5 blocks (fewer, with less window overlap) measured ~25% slower on the MobileNetV2 shapes. */
const BLOCK_SIDE = 3

/** Cuts [0, extent) into pieces of BLOCK_SIDE and one shorter last piece. */
function pieces(extent: number): Array<{ start: number; size: number }> {
  const out: Array<{ start: number; size: number }> = []
  for (let start = 0; start < extent; start += BLOCK_SIDE) out.push({ start, size: Math.min(BLOCK_SIDE, extent - start) })
  return out
}

/** The smallest fast filter shape that holds rows x cols, which is zero-filled up to it. */
function fastShape(rows: number, cols: number): readonly [number, number] {
  if (FAST_TAP_COUNTS.has(rows * cols)) return [rows, cols]
  return FAST_SHAPES.find(([r, c]) => r >= rows && c >= cols) ?? [rows, cols]
}

export function planBlocks(height: number, width: number): DyBlock[] {
  if (FAST_TAP_COUNTS.has(height * width)) return [{ row: 0, col: 0, rows: height, cols: width }]
  const blocks: DyBlock[] = []
  for (const r of pieces(height)) {
    for (const c of pieces(width)) {
      const [rows, cols] = fastShape(r.size, c.size)
      blocks.push({ row: r.start, col: c.start, rows, cols })
    }
  }
  return blocks
}

function blockGradient(ops: WasmOps, x: TensorInfo, dy: TensorInfo, block: DyBlock, geo: ConvGeometry): TensorInfo | null {
  const [sh, sw] = geo.strides
  const [dh, dw] = geo.dilations
  const rows = fitWindow(geo.inHeight, block.row * sh - geo.padTop, geo.filterHeight, dh, block.rows, sh)
  const cols = fitWindow(geo.inWidth, block.col * sw - geo.padLeft, geo.filterWidth, dw, block.cols, sw)
  if (rows.size <= 0 || cols.size <= 0) return null
  const xWindow = foldedWindow(ops, x, rows.begin, rows.size, cols.begin, cols.size)
  const dyWindow = foldedWindow(ops, dy, block.row, block.rows, block.col, block.cols)
  const multiplier = geo.outChannels / geo.inChannels
  const dyAsFilter = ops.reshape(dyWindow, [block.rows, block.cols, geo.batch * geo.inChannels, multiplier])
  return ops.depthwiseConv2d(xWindow, dyAsFilter, {
    strides: [dh, dw],
    dilations: [sh, sw],
    padTop: rows.padBefore,
    padBottom: rows.padAfter,
    padLeft: cols.padBefore,
    padRight: cols.padAfter
  })
}

export const depthwiseBackpropFilterConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: WASM,
  kernelFunc: depthwiseBackpropFilter
}
