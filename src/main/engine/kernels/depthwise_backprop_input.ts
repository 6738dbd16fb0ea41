import { DepthwiseConv2dNativeBackpropInput } from '@tensorflow/tfjs'
import type { DepthwiseConv2dNativeBackpropInputAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs'
import { assertFloat32, assertShape, convGeometry } from './conv_geometry'
import { inputGradient } from './input_gradient'
import { withWasmOps, WASM } from './wasm_ops'

/**
 * dx[b,h,w,c] = sum over (j,kh,kw) of dy[b,oh,ow,c*m+j] * W[kh,kw,c,j] with
 * h = oh*s + kh*d - pt: XNNPACK depthwise convs of dy with the flipped filter,
 * one per stride phase (see input_gradient.ts). With a channel multiplier m
 * they yield C*m maps and the m maps of each input channel are summed.
 */
const depthwiseBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo }
  const { strides, dilations, pad, dimRoundingMode, inputShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs
  assertFloat32(DepthwiseConv2dNativeBackpropInput, dy, filter)
  return withWasmOps(backend, (ops) => {
    const geo = convGeometry(inputShape, filter.shape, strides, dilations ?? 1, pad, dimRoundingMode, true)
    assertShape('dy', dy.shape, [geo.batch, geo.outHeight, geo.outWidth, geo.outChannels])
    return inputGradient(ops, dy, filter, geo, 'depthwise')
  })
}

export const depthwiseBackpropInputConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: WASM,
  kernelFunc: depthwiseBackpropInput
}
