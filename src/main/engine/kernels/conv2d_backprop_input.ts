import { Conv2DBackpropInput } from '@tensorflow/tfjs'
import type { Conv2DBackpropInputAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs'
import { assertFloat32, assertShape, convGeometry, padAsNhwc } from './conv_geometry'
import { inputGradient } from './input_gradient'
import { withWasmOps, WASM } from './wasm_ops'

/**
 * Replaces wasm's own Conv2DBackpropInput, a scalar C++ loop that measured
 * 10-30x slower than the forward conv on MobileNetV2's 1x1 layers. Here dx is
 * one XNNPACK Conv2D per stride phase (see input_gradient.ts); NCHW is
 * handled by transposing to NHWC and back.
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
    const dx = inputGradient(ops, dyNhwc, filter, geo, 'dense')
    return channelsFirst ? ops.transpose(dx, [0, 3, 1, 2]) : dx
  })
}

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: WASM,
  kernelFunc: conv2DBackpropInput
}
