import { DepthwiseConv2dNativeBackpropFilter } from '@tensorflow/tfjs'
import type { DepthwiseConv2dNativeBackpropFilterAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs'
import { assertFloat32, assertShape, convGeometry, cropToWindows, fitWindow, type ConvGeometry } from './conv_geometry'
import { dim, withWasmOps, WASM, type WasmOps } from './wasm_ops'

/**
 * dW[kh,kw,c,j] = sum over (b,oh,ow) of x[b, oh*s+kh*d-pt, ow*s+kw*d-pl, c] * dy[b,oh,ow,c*m+j].
 *
 * Done per tap this is 9 passes of multiply + reduce over the whole tensor,
 * which is memory bound and ~10x the forward pass on wasm. Instead fold the
 * batch into the channels (x as [1, H, W, B*C]) and use dy itself as a
 * depthwise filter [OH, OW, B*C, m]: a depthwise conv with stride d and
 * dilation s then yields every tap at once ([1, kh, kw, B*C*m]), and the batch
 * is summed out of a tensor the size of the filter.
 *
 * XNNPACK only has fast depthwise microkernels for 3, 4, 9 and 25 taps; other
 * filter sizes fall to a path ~8x slower. So dy is cut into 3x3 blocks (edge
 * blocks zero-padded), each a separate fast conv over the input window it
 * reads, and the partial gradients are added.
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
    const foldedChannels = geo.batch * geo.inChannels
    const xFolded = foldBatchIntoChannels(ops, x)
    const dyAsFilter = ops.reshape(foldBatchIntoChannels(ops, dy), [geo.outHeight, geo.outWidth, foldedChannels, multiplier])
    const partials = planBlocks(geo.outHeight, geo.outWidth)
      .map((block) => blockGradient(ops, xFolded, dyAsFilter, block, geo))
      .filter((partial): partial is TensorInfo => partial !== null)
    const taps = geo.filterHeight * geo.filterWidth
    if (partials.length === 0) return ops.zeros([geo.filterHeight, geo.filterWidth, geo.inChannels, multiplier])
    const perBatch = ops.reshape(ops.addN(partials), [taps, geo.batch, geo.inChannels * multiplier])
    const summed = geo.batch === 1 ? perBatch : ops.sum(perBatch, [1])
    return ops.reshape(summed, [geo.filterHeight, geo.filterWidth, geo.inChannels, multiplier])
  })
}

/** [B, H, W, C] -> [1, H, W, B*C]; a batch of one needs no data movement. */
function foldBatchIntoChannels(ops: WasmOps, t: TensorInfo): TensorInfo {
  const [b, h, w, c] = [dim(t, 0), dim(t, 1), dim(t, 2), dim(t, 3)]
  const spatialFirst = b === 1 ? t : ops.transpose(t, [1, 2, 0, 3])
  return ops.reshape(spatialFirst, [1, h, w, b * c])
}

/** A rectangle of dy used as one filter: rows/cols it covers and the size it is padded to. */
interface DyBlock {
  row: number
  col: number
  rows: number
  cols: number
  paddedRows: number
  paddedCols: number
}

const FAST_TAP_COUNTS = new Set([3, 4, 9, 25])
const BLOCK_SIDE = 3

export function planBlocks(height: number, width: number): DyBlock[] {
  if (FAST_TAP_COUNTS.has(height * width)) {
    return [{ row: 0, col: 0, rows: height, cols: width, paddedRows: height, paddedCols: width }]
  }
  const side = (extent: number): number => Math.min(BLOCK_SIDE, extent)
  const blocks: DyBlock[] = []
  for (let row = 0; row < height; row += BLOCK_SIDE) {
    for (let col = 0; col < width; col += BLOCK_SIDE) {
      const rows = Math.min(BLOCK_SIDE, height - row)
      const cols = Math.min(BLOCK_SIDE, width - col)
      blocks.push({ row, col, rows, cols, paddedRows: side(height), paddedCols: side(width) })
    }
  }
  return blocks
}

function blockGradient(
  ops: WasmOps,
  xFolded: TensorInfo,
  dyAsFilter: TensorInfo,
  block: DyBlock,
  geo: ConvGeometry
): TensorInfo | null {
  const [sh, sw] = geo.strides
  const [dh, dw] = geo.dilations
  const rows = fitWindow(geo.inHeight, block.row * sh - geo.padTop, geo.filterHeight, dh, block.paddedRows, sh)
  const cols = fitWindow(geo.inWidth, block.col * sw - geo.padLeft, geo.filterWidth, dw, block.paddedCols, sw)
  const window = cropToWindows(ops, xFolded, rows, cols)
  if (window === null) return null
  return ops.depthwiseConv2d(window, filterBlock(ops, dyAsFilter, block), {
    strides: [dh, dw],
    dilations: [sh, sw],
    padTop: rows.padBefore,
    padBottom: rows.padAfter,
    padLeft: cols.padBefore,
    padRight: cols.padAfter
  })
}

/** The block of dy, zero-filled up to its padded size, as a [rows, cols, B*C, m] filter. */
function filterBlock(ops: WasmOps, dyAsFilter: TensorInfo, block: DyBlock): TensorInfo {
  const [height, width, channels, multiplier] = dyAsFilter.shape as [number, number, number, number]
  if (block.paddedRows === height && block.paddedCols === width) return dyAsFilter
  const asImage = ops.reshape(dyAsFilter, [1, height, width, channels * multiplier])
  const cut = ops.copyWindow(asImage, block.row, block.paddedRows, block.col, block.paddedCols)
  return ops.reshape(cut, [block.paddedRows, block.paddedCols, channels, multiplier])
}

export const depthwiseBackpropFilterConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: WASM,
  kernelFunc: depthwiseBackpropFilter
}
