import { Conv2DBackpropFilter } from '@tensorflow/tfjs'
import type { Conv2DBackpropFilterAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs'
import { assertFloat32, assertShape, convGeometry, cropToWindows, fitWindow, padAsNhwc, type ConvGeometry } from './conv_geometry'
import { withWasmOps, WASM, type WasmOps } from './wasm_ops'

/**
 * dW[kh,kw,ci,co] = sum over (b,oh,ow) of x[b, oh*s+kh-pt, ow*s+kw-pl, ci] * dy[b,oh,ow,co].
 *
 * A 1x1 stride-1 conv is a plain product of x^T [ci, M] and dy [M, co], which
 * XNNPACK runs at forward-pass speed. Everything else uses the classic
 * "swap batch and channels" identity: the same sum is a Conv2D whose input is
 * x as [ci, H, W, B] and whose filter is dy as [OH, OW, B, co], with the
 * forward stride becoming the filter dilation. XNNPACK's indirect GEMM then
 * does the im2col without materialising it.
 */
const conv2DBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo }
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs
  assertFloat32(Conv2DBackpropFilter, x, dy)
  return withWasmOps(backend, (ops) => {
    const channelsFirst = dataFormat === 'NCHW'
    const xNhwc = channelsFirst ? ops.transpose(x, [0, 2, 3, 1]) : x
    const dyNhwc = channelsFirst ? ops.transpose(dy, [0, 2, 3, 1]) : dy
    const geo = convGeometry(xNhwc.shape, filterShape, strides, 1, padAsNhwc(pad, channelsFirst), dimRoundingMode, false)
    assertShape('dy', dyNhwc.shape, [geo.batch, geo.outHeight, geo.outWidth, geo.outChannels])
    return isPlainPointwise(geo) ? pointwiseFilterGrad(ops, xNhwc, dyNhwc, geo) : swappedConvFilterGrad(ops, xNhwc, dyNhwc, geo)
  })
}

function isPlainPointwise(geo: ConvGeometry): boolean {
  return (
    geo.filterHeight === 1 &&
    geo.filterWidth === 1 &&
    geo.strides[0] === 1 &&
    geo.strides[1] === 1 &&
    geo.padTop === 0 &&
    geo.padLeft === 0 &&
    geo.outHeight === geo.inHeight &&
    geo.outWidth === geo.inWidth
  )
}

/**
 * wasm's MatMul only reaches XNNPACK without transposes, so one operand must
 * be transposed explicitly: the one with fewer channels (x^T dy, or (dy^T x)^T
 * whose final transpose is filter-sized).
 */
function pointwiseFilterGrad(ops: WasmOps, x: TensorInfo, dy: TensorInfo, geo: ConvGeometry): TensorInfo {
  const pixels = geo.batch * geo.inHeight * geo.inWidth
  const x2d = ops.reshape(x, [pixels, geo.inChannels])
  const dy2d = ops.reshape(dy, [pixels, geo.outChannels])
  const product =
    geo.inChannels <= geo.outChannels
      ? ops.matMul(ops.transpose(x2d, [1, 0]), dy2d)
      : ops.transpose(ops.matMul(ops.transpose(dy2d, [1, 0]), x2d), [1, 0])
  return ops.reshape(product, [1, 1, geo.inChannels, geo.outChannels])
}

function swappedConvFilterGrad(ops: WasmOps, x: TensorInfo, dy: TensorInfo, geo: ConvGeometry): TensorInfo {
  const [sh, sw] = geo.strides
  const rows = fitWindow(geo.inHeight, -geo.padTop, geo.filterHeight, 1, geo.outHeight, sh)
  const cols = fitWindow(geo.inWidth, -geo.padLeft, geo.filterWidth, 1, geo.outWidth, sw)
  const xWindow = cropToWindows(ops, x, rows, cols)
  // Possible only with explicit pads so large that no tap ever reads real input.
  if (xWindow === null) return ops.zeros([geo.filterHeight, geo.filterWidth, geo.inChannels, geo.outChannels])
  const xAsBatchOfChannels = ops.transpose(xWindow, [3, 1, 2, 0])
  const dyAsFilter = ops.transpose(dy, [1, 2, 0, 3])
  const grad = ops.conv2d(xAsBatchOfChannels, dyAsFilter, {
    strides: [1, 1],
    dilations: [sh, sw],
    padTop: rows.padBefore,
    padBottom: rows.padAfter,
    padLeft: cols.padBefore,
    padRight: cols.padAfter
  })
  return ops.transpose(grad, [1, 2, 0, 3])
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: WASM,
  kernelFunc: conv2DBackpropFilter
}
