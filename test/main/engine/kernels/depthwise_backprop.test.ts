import { beforeAll, describe, it } from 'vitest'
import { depthwiseCases, describeCase, type ConvCase } from './cases'
import {
  dilateFilter,
  expectClose,
  randomTensor,
  runKernelOn,
  seededRandom,
  undilateFilter,
  useWasmWithTrainingKernels,
  type Attrs
} from './support'

beforeAll(useWasmWithTrainingKernels)

const cases = depthwiseCases()

// tfjs-backend-cpu's depthwise backprop kernels ignore `dilations`, so the
// reference for a dilated conv is the same conv with explicitly dilated
// (zero-filled) filter taps and dilation 1.
function sharedAttrs(c: ConvCase, dilations: [number, number]): Attrs {
  return { strides: c.strides, pad: c.pad, dilations, dimRoundingMode: c.dimRoundingMode }
}

describe('DepthwiseConv2dNativeBackpropFilter on wasm matches cpu', () => {
  it.each(cases.map((c, i) => [describeCase(c), c, i] as const))('%s', async (_, c, i) => {
    const random = seededRandom(300 + i)
    const inputs = { x: randomTensor(random, c.x), dy: randomTensor(random, c.dy) }
    const actual = await runKernelOn('wasm', 'DepthwiseConv2dNativeBackpropFilter', inputs, {
      ...sharedAttrs(c, c.dilations),
      filterShape: c.filter
    })
    const dilatedShape = dilateFilter({ shape: c.filter, data: new Float32Array(c.filter.reduce((a, b) => a * b)) }, c.dilations).shape
    const reference = await runKernelOn('cpu', 'DepthwiseConv2dNativeBackpropFilter', inputs, {
      ...sharedAttrs(c, [1, 1]),
      filterShape: dilatedShape
    })
    expectClose(actual, undilateFilter(reference, c.dilations, c.filter[0], c.filter[1]), describeCase(c))
  })
})

describe('DepthwiseConv2dNativeBackpropInput on wasm matches cpu', () => {
  it.each(cases.map((c, i) => [describeCase(c), c, i] as const))('%s', async (_, c, i) => {
    const random = seededRandom(400 + i)
    const dy = randomTensor(random, c.dy)
    const filter = randomTensor(random, c.filter)
    const actual = await runKernelOn('wasm', 'DepthwiseConv2dNativeBackpropInput', { dy, filter }, {
      ...sharedAttrs(c, c.dilations),
      inputShape: c.x
    })
    const reference = await runKernelOn('cpu', 'DepthwiseConv2dNativeBackpropInput', { dy, filter: dilateFilter(filter, c.dilations) }, {
      ...sharedAttrs(c, [1, 1]),
      inputShape: c.x
    })
    expectClose(actual, reference, describeCase(c))
  })
})
