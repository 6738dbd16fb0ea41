import { DepthwiseConv2dNativeBackpropInput } from '@tensorflow/tfjs'
import type { DepthwiseConv2dNativeBackpropInputAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs'
import { assertFloat32, assertShape, convGeometry, cropToWindows, fitWindow, reverseTaps, zeroDilate } from './conv_geometry'
import { dim, withWasmOps, WASM } from './wasm_ops'

/**
 * dx[b,h,w,c] = sum over (j,kh,kw) of dy[b,oh,ow,c*m+j] * W[kh,kw,c,j] where
 * h = oh*s + kh*d - pt: a stride-1 depthwise conv of dy (zero-dilated when
 * s > 1) with the flipped filter, on XNNPACK. With a channel multiplier m the
 * conv yields C*m maps and the m maps of each input channel are summed.
 */
const depthwiseBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo }
  const { strides, dilations, pad, dimRoundingMode, inputShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs
  assertFloat32(DepthwiseConv2dNativeBackpropInput, dy, filter)
  return withWasmOps(backend, (ops) => {
    const geo = convGeometry(inputShape, filter.shape, strides, dilations ?? 1, pad, dimRoundingMode, true)
    const multiplier = dim(filter, 3)
    assertShape('dy', dy.shape, [geo.batch, geo.outHeight, geo.outWidth, geo.outChannels])
    const [sh, sw] = geo.strides
    const [dh, dw] = geo.dilations
    const spread = zeroDilate(ops, dy, geo.strides)
    const rows = fitWindow(geo.outHeight * sh, geo.padTop - (geo.filterHeight - 1) * dh, geo.inHeight, 1, geo.filterHeight, dh)
    const cols = fitWindow(geo.outWidth * sw, geo.padLeft - (geo.filterWidth - 1) * dw, geo.inWidth, 1, geo.filterWidth, dw)
    const window = cropToWindows(ops, spread, rows, cols)
    if (window === null) return ops.zeros([geo.batch, geo.inHeight, geo.inWidth, geo.inChannels])
    const flipped = ops.reshape(reverseTaps(ops, filter), [geo.filterHeight, geo.filterWidth, geo.outChannels, 1])
    const perOutputChannel = ops.depthwiseConv2d(window, flipped, {
      strides: [1, 1],
      dilations: [dh, dw],
      padTop: rows.padBefore,
      padBottom: rows.padAfter,
      padLeft: cols.padBefore,
      padRight: cols.padAfter
    })
    if (multiplier === 1) return perOutputChannel
    const grouped = ops.reshape(perOutputChannel, [geo.batch, geo.inHeight, geo.inWidth, geo.inChannels, multiplier])
    return ops.sum(grouped, [4])
  })
}

export const depthwiseBackpropInputConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: WASM,
  kernelFunc: depthwiseBackpropInput
}
