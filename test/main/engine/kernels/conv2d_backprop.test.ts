import { beforeAll, describe, it } from 'vitest'
import { conv2dCases, describeCase, type ConvCase } from './cases'
import { expectClose, randomTensor, runKernelOn, seededRandom, useWasmWithTrainingKernels, type Attrs, type HostTensor } from './support'

beforeAll(useWasmWithTrainingKernels)

const cases = conv2dCases()

function sharedAttrs(c: ConvCase): Attrs {
  return { strides: c.strides, pad: c.pad, dataFormat: c.dataFormat, dimRoundingMode: c.dimRoundingMode }
}

async function compareWithCpu(kernelName: string, inputs: Record<string, HostTensor>, attrs: Attrs, context: string) {
  const expected = await runKernelOn('cpu', kernelName, inputs, attrs)
  const actual = await runKernelOn('wasm', kernelName, inputs, attrs)
  expectClose(actual, expected, `${kernelName} ${context}`)
}

describe('Conv2DBackpropFilter on wasm matches cpu', () => {
  it.each(cases.map((c, i) => [describeCase(c), c, i] as const))('%s', async (_, c, i) => {
    const random = seededRandom(100 + i)
    const inputs = { x: randomTensor(random, c.x), dy: randomTensor(random, c.dy) }
    await compareWithCpu('Conv2DBackpropFilter', inputs, { ...sharedAttrs(c), filterShape: c.filter }, describeCase(c))
  })
})

describe('Conv2DBackpropInput (replaced) on wasm matches cpu', () => {
  it.each(cases.map((c, i) => [describeCase(c), c, i] as const))('%s', async (_, c, i) => {
    const random = seededRandom(200 + i)
    const inputs = { dy: randomTensor(random, c.dy), filter: randomTensor(random, c.filter) }
    await compareWithCpu('Conv2DBackpropInput', inputs, { ...sharedAttrs(c), inputShape: c.x }, describeCase(c))
  })
})
