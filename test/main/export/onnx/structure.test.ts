// The file itself (what a reader of the ModelProto sees), options, errors, and the helpers the
// converter is built on.
import * as tf from '@tensorflow/tfjs'
import * as ort from 'onnxruntime-node'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  decodeModel,
  OnnxExportError,
  supportedLayerTypes,
  tfjsToOnnx,
  unsupportedLayers,
  verifyOnnx
} from '../../../../src/main/export/onnx'
import { permute } from '../../../../src/main/export/onnx/graph'
import { onnxPads, tfPadding } from '../../../../src/main/export/onnx/padding'
import { chain, compare, randomBatch, randomizeWeights, TOLERANCE, useWasm } from './helpers'

const L = tf.layers

beforeAll(useWasm)

function smallConvNet(): tf.LayersModel {
  const model = chain(
    [8, 8, 3],
    L.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
    L.depthwiseConv2d({ kernelSize: 3, padding: 'same' }),
    L.flatten(),
    L.dense({ units: 3, activation: 'softmax' })
  )
  randomizeWeights(model, 5)
  return model
}

async function expectExportError(run: Promise<unknown>, code: string, ...parts: (string | RegExp)[]): Promise<void> {
  const err = await run.then(
    () => null,
    (e: unknown) => e
  )
  expect(err).toBeInstanceOf(OnnxExportError)
  expect((err as OnnxExportError).code).toBe(code)
  for (const p of parts) expect((err as Error).message).toMatch(p)
}

describe('TF padding rules', () => {
  it('puts the odd pixel of SAME padding after, as TF does', () => {
    expect(tfPadding(224, 3, 2, 1, 'same')).toEqual([0, 1])
    expect(tfPadding(7, 3, 2, 1, 'same')).toEqual([1, 1])
    expect(tfPadding(10, 4, 1, 1, 'same')).toEqual([1, 2])
    expect(tfPadding(9, 3, 1, 2, 'same')).toEqual([2, 2])
    expect(tfPadding(9, 5, 2, 1, 'valid')).toEqual([0, 0])
    expect(onnxPads([null, 8, 7, 3], { kernel: [3, 3], strides: [2, 2], dilations: [1, 1], mode: 'same' })).toEqual([0, 1, 1, 1])
    expect(onnxPads([null, null, 7, 3], { kernel: [3, 3], strides: [2, 2], dilations: [1, 1], mode: 'same' })).toBeNull()
  })

  it('permutes like numpy.transpose', () => {
    const r = permute(Float32Array.from([0, 1, 2, 3, 4, 5]), [2, 3], [1, 0])
    expect(r.shape).toEqual([3, 2])
    expect([...r.data]).toEqual([0, 3, 1, 4, 2, 5])
    const r3 = permute(Float32Array.from({ length: 24 }, (_, i) => i), [2, 3, 4], [2, 0, 1])
    expect(r3.shape).toEqual([4, 2, 3])
    expect(r3.data[1 * 6 + 1 * 3 + 2]).toBe(1 * 12 + 2 * 4 + 1) // out[k=1][i=1][j=2] = in[1][2][1]
  })
})

describe('the ModelProto', () => {
  it('has opset, IR version, producer, a dynamic batch, float32 initializers and nodes in topological order', async () => {
    const model = smallConvNet()
    const m = decodeModel(await tfjsToOnnx(model, { producer: 'thaw-test', producerVersion: '0.1.0' }))
    expect(m.opsetImport).toEqual([{ domain: '', version: 13 }])
    expect(m.irVersion).toBe(7)
    expect(m.producerName).toBe('thaw-test')
    expect(m.producerVersion).toBe('0.1.0')
    const dims = (v: (typeof m.graph.input)[number] | undefined): (string | number | undefined)[] =>
      v?.type.tensorType.shape.dim.map((d) => d.dimParam ?? d.dimValue) ?? []
    expect(m.graph.input.map((v) => v.name)).toEqual(['input'])
    expect(dims(m.graph.input[0])).toEqual(['N', 8, 8, 3])
    expect(m.graph.output.map((v) => v.name)).toEqual(['output'])
    expect(dims(m.graph.output[0])).toEqual(['N', 3])

    const weights = m.graph.initializer.filter((t) => t.dataType === 1)
    const params = weights.reduce((n, t) => n + t.dims.reduce((a, b) => a * b, 1), 0)
    expect(params).toBe(model.countParams())
    expect(m.graph.initializer.every((t) => t.dataType === 1 || t.dataType === 7)).toBe(true)

    const available = new Set([...m.graph.input.map((v) => v.name), ...m.graph.initializer.map((t) => t.name)])
    for (const node of m.graph.node) {
      for (const input of node.input) expect(available.has(input), `${node.name} reads ${input} before it exists`).toBe(true)
      for (const output of node.output) available.add(output)
    }
    // In once to NCHW, back once before Flatten: Flatten must see Keras (NHWC) order.
    expect(m.graph.node.filter((n) => n.opType === 'Transpose')).toHaveLength(2)
  })

  it.each([13, 15, 17, 19, 21])('runs in onnxruntime at opset %i', async (opset) => {
    const model = smallConvNet()
    const shape = [3, 8, 8, 3]
    const r = await compare(model, randomBatch(shape, opset), shape, { opset })
    expect(decodeModel(r.bytes).opsetImport[0]?.version).toBe(opset)
    expect(r.maxAbsDiff).toBeLessThanOrEqual(TOLERANCE)
    expect(r.top1Agree).toBe(true)
  })

  it('names inputs and outputs after their layers when there are several', async () => {
    const a = tf.input({ shape: [4], name: 'left' })
    const b = tf.input({ shape: [4], name: 'right' })
    const sum = L.add({ name: 'sum' }).apply([a, b]) as tf.SymbolicTensor
    const prob = L.dense({ units: 2, activation: 'softmax', name: 'prob' }).apply(sum) as tf.SymbolicTensor
    const model = tf.model({ inputs: [a, b], outputs: [prob, sum] })
    const bytes = await tfjsToOnnx(model)
    const session = await ort.InferenceSession.create(bytes)
    expect(session.inputNames).toEqual(['left', 'right'])
    expect(session.outputNames).toEqual(['prob', 'sum'])
    const left = randomBatch([2, 4], 1)
    const right = randomBatch([2, 4], 2)
    const out = await session.run({ left: new ort.Tensor('float32', left, [2, 4]), right: new ort.Tensor('float32', right, [2, 4]) })
    const expected = model.predict([tf.tensor(left, [2, 4]), tf.tensor(right, [2, 4])]) as tf.Tensor[]
    const diff = (x: ort.Tensor | undefined, t: tf.Tensor | undefined): number =>
      Math.max(...Array.from(x!.data as Float32Array, (v, i) => Math.abs(v - (t!.dataSync()[i] as number))))
    expect(diff(out['prob'], expected[0])).toBeLessThanOrEqual(TOLERANCE)
    expect(diff(out['sum'], expected[1])).toBeLessThanOrEqual(TOLERANCE)
    await session.release()
  })
})

describe('errors', () => {
  it('names an unsupported layer and its type', async () => {
    const model = chain([6, 4], L.lstm({ units: 3, name: 'my_lstm' }))
    expect(unsupportedLayers(model)).toEqual([{ name: 'my_lstm', type: 'LSTM' }])
    await expectExportError(tfjsToOnnx(model), 'ONNX_UNSUPPORTED_LAYER', /"my_lstm"/, /\(LSTM\)/, /Supported types: .*Conv2D/)
  })

  it('finds unsupported layers inside nested models', () => {
    const inner = chain([8, 3], L.conv1d({ filters: 2, kernelSize: 3, name: 'c1d' }))
    inner.name = 'inner'
    const outer = chain([8, 3], inner as unknown as tf.layers.Layer)
    expect(unsupportedLayers(outer)).toEqual([{ name: 'inner/c1d', type: 'Conv1D' }])
  })

  it('refuses settings that tfjs itself does not honour', async () => {
    const bnAxis1 = chain([4, 4, 2], L.batchNormalization({ axis: 1, name: 'bn_h' }))
    await expectExportError(tfjsToOnnx(bnAxis1), 'ONNX_UNSUPPORTED_LAYER', /"bn_h"/, /axis 1/)
    const dilated = chain([9, 9, 2], L.depthwiseConv2d({ kernelSize: 3, dilationRate: 2, padding: 'same', name: 'dw' }))
    await expectExportError(tfjsToOnnx(dilated), 'ONNX_UNSUPPORTED_LAYER', /"dw"/, /dilation/)
  })

  it('refuses opsets outside 13..21 and clashing names', async () => {
    await expectExportError(tfjsToOnnx(smallConvNet(), { opset: 12 }), 'ONNX_BAD_OPTIONS', /opset 12/)
    await expectExportError(tfjsToOnnx(smallConvNet(), { opset: 99 }), 'ONNX_BAD_OPTIONS', /opset 99/)
    await expectExportError(tfjsToOnnx(smallConvNet(), { inputName: 'x', outputName: 'x' }), 'ONNX_BAD_OPTIONS', /"x"/)
  })

  it('verifyOnnx infers the batch from the data and rejects data that does not fit', async () => {
    const model = smallConvNet()
    const bytes = await tfjsToOnnx(model)
    const x = randomBatch([2, 8, 8, 3], 3)
    const y = (model.predict(tf.tensor(x, [2, 8, 8, 3])) as tf.Tensor).dataSync() as Float32Array
    const r = await verifyOnnx(bytes, x, y)
    expect(r.rows).toBe(2)
    expect(r.maxAbsDiff).toBeLessThanOrEqual(TOLERANCE)
    await expectExportError(verifyOnnx(bytes, x.subarray(1), y), 'ONNX_VERIFY', /whole samples/)
    await expectExportError(verifyOnnx(bytes, x, y.subarray(1)), 'ONNX_VERIFY', /expected 5/)
  })
})

describe('supportedLayerTypes', () => {
  it('lists at least the layers the studio needs', () => {
    const needed = ['InputLayer', 'Rescaling', 'Conv2D', 'DepthwiseConv2D', 'BatchNormalization', 'ReLU', 'Activation', 'Add', 'Multiply',
      'Concatenate', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'AveragePooling2D', 'MaxPooling2D', 'ZeroPadding2D', 'Dense',
      'Dropout', 'Flatten', 'Reshape', 'Softmax']
    expect(supportedLayerTypes()).toEqual(expect.arrayContaining(needed))
  })
})
