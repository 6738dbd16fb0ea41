import { Conv2DBackpropInput } from '@tensorflow/tfjs'
import type { Conv2DBackpropInputAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs'
import {
  assertFloat32,
  assertShape,
  convGeometry,
  cropToWindows,
  fitWindow,
  padAsNhwc,
  reverseTaps,
  zeroDilate,
  type ConvGeometry
} from './conv_geometry'
import { withWasmOps, WASM, type WasmOps } from './wasm_ops'

/**
 * Replaces wasm's own Conv2DBackpropInput, a scalar C++ loop that measured
 * ~10x slower than the forward conv on MobileNetV2's 1x1 layers.
 *
 * dx is a stride-1 conv of dy (zero-dilated when the forward stride is > 1)
 * with the spatially flipped filter whose channel axes are swapped, so it runs
 * on XNNPACK's Conv2D. A 1x1 filter needs no flip and no dilated dy: the
 * product runs on the small dy and its result is spread out afterwards.
 */
const conv2DBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo }
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as Conv2DBackpropInputAttrs
  assertFloat32(Conv2DBackpropInput, dy, filter)
  return withWasmOps(backend, (ops) => {
    const channelsFirst = dataFormat === 'NCHW'
    const [b, d1, d2, d3] = inputShape
    const xShape = channelsFirst ? [b, d2, d3, d1] : [b, d1, d2, d3]
    const dyNhwc = channelsFirst ? ops.transpose(dy, [0, 2, 3, 1]) : dy
    const geo = convGeometry(xShape, filter.shape, strides, 1, padAsNhwc(pad, channelsFirst), dimRoundingMode, false)
    assertShape('dy', dyNhwc.shape, [geo.batch, geo.outHeight, geo.outWidth, geo.outChannels])
    const dx =
      geo.filterHeight === 1 && geo.filterWidth === 1
        ? pointwiseInputGrad(ops, dyNhwc, filter, geo)
        : flippedConvInputGrad(ops, dyNhwc, filter, geo)
    return channelsFirst ? ops.transpose(dx, [0, 3, 1, 2]) : dx
  })
}

function pointwiseInputGrad(ops: WasmOps, dy: TensorInfo, filter: TensorInfo, geo: ConvGeometry): TensorInfo {
  const filterOutToIn = ops.reshape(
    ops.transpose(ops.reshape(filter, [geo.inChannels, geo.outChannels]), [1, 0]),
    [1, 1, geo.outChannels, geo.inChannels]
  )
  const dxAtSampledPixels = ops.conv2d(dy, filterOutToIn, unpadded)
  const spread = zeroDilate(ops, dxAtSampledPixels, geo.strides)
  const unchanged = spread === dxAtSampledPixels && geo.padTop === 0 && geo.padLeft === 0 &&
    geo.outHeight === geo.inHeight && geo.outWidth === geo.inWidth
  if (unchanged) return spread
  // dx[h] = spread[h + pt]; rows the forward never read stay zero.
  return ops.copyWindow(spread, geo.padTop, geo.inHeight, geo.padLeft, geo.inWidth)
}

function flippedConvInputGrad(ops: WasmOps, dy: TensorInfo, filter: TensorInfo, geo: ConvGeometry): TensorInfo {
  const spread = zeroDilate(ops, dy, geo.strides)
  const [sh, sw] = geo.strides
  const rows = fitWindow(geo.outHeight * sh, geo.padTop - (geo.filterHeight - 1), geo.inHeight, 1, geo.filterHeight, 1)
  const cols = fitWindow(geo.outWidth * sw, geo.padLeft - (geo.filterWidth - 1), geo.inWidth, 1, geo.filterWidth, 1)
  const window = cropToWindows(ops, spread, rows, cols)
  if (window === null) return ops.zeros([geo.batch, geo.inHeight, geo.inWidth, geo.inChannels])
  const flipped = ops.transpose(reverseTaps(ops, filter), [0, 1, 3, 2])
  return ops.conv2d(window, flipped, {
    strides: [1, 1],
    dilations: [1, 1],
    padTop: rows.padBefore,
    padBottom: rows.padAfter,
    padLeft: cols.padBefore,
    padRight: cols.padAfter
  })
}

const unpadded = { strides: [1, 1], dilations: [1, 1], padTop: 0, padBottom: 0, padLeft: 0, padRight: 0 } as const

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: WASM,
  kernelFunc: conv2DBackpropInput
}
