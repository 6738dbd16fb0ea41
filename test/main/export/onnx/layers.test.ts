// Every supported layer type, in small random models over several shapes, strides and paddings:
// converted, run in onnxruntime, and compared with tfjs on the wasm backend.
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { supportedLayerTypes } from '../../../../src/main/export/onnx'
import { chain, compare, randomBatch, randomizeWeights, TOLERANCE, useWasm } from './helpers'

const L = tf.layers

interface Case {
  name: string
  /** Layer types this case exercises (to check every supported type has a case). */
  covers: string[]
  build: () => tf.LayersModel
  /** Batch shape; the model's input shape with batch 2 by default. */
  shape?: number[]
  range?: [number, number]
}

const img = (h: number, w: number, c: number): number[] => [h, w, c]

/** conv -> X, so that X sees a tensor held in NCHW (the interesting case for layout). */
const afterConv = (shape: number[], ...layers: tf.layers.Layer[]): tf.LayersModel =>
  chain(shape, L.conv2d({ filters: 5, kernelSize: 3, padding: 'same' }), ...layers)

/** Two branches from one input, merged: single-input models keep verifyOnnx applicable. */
function branches(shape: number[], merge: (ys: tf.SymbolicTensor[]) => tf.SymbolicTensor, make: (() => tf.layers.Layer)[]): tf.LayersModel {
  const x = tf.input({ shape })
  const ys = make.map((f) => f().apply(x) as tf.SymbolicTensor)
  return tf.model({ inputs: x, outputs: merge(ys) })
}

const conv = (o: tf.layers.Layer extends never ? never : Parameters<typeof L.conv2d>[0]): tf.layers.Layer => L.conv2d(o)

const cases: Case[] = [
  // Conv2D: strides, both paddings, TF's asymmetric SAME (even size, stride 2), dilation, no bias.
  { name: 'conv 3x3 s1 same relu', covers: ['Conv2D'], build: () => chain(img(8, 8, 3), conv({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' })) },
  { name: 'conv 3x3 s2 same on even 8x8', covers: ['Conv2D'], build: () => chain(img(8, 8, 3), conv({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' })) },
  { name: 'conv 3x3 s2 same on odd 7x9', covers: ['Conv2D'], build: () => chain(img(7, 9, 2), conv({ filters: 3, kernelSize: 3, strides: 2, padding: 'same' })) },
  { name: 'conv 4x4 s1 same (pads 1 before, 2 after)', covers: ['Conv2D'], build: () => chain(img(6, 7, 2), conv({ filters: 3, kernelSize: 4, padding: 'same' })) },
  { name: 'conv 4x4 s2 same on 10x10', covers: ['Conv2D'], build: () => chain(img(10, 10, 2), conv({ filters: 3, kernelSize: 4, strides: 2, padding: 'same' })) },
  { name: 'conv 5x5 s2 valid', covers: ['Conv2D'], build: () => chain(img(9, 9, 3), conv({ filters: 4, kernelSize: 5, strides: 2, padding: 'valid' })) },
  { name: 'conv 3x3 dilation 2 same', covers: ['Conv2D'], build: () => chain(img(9, 9, 3), conv({ filters: 4, kernelSize: 3, dilationRate: 2, padding: 'same' })) },
  { name: 'conv 3x1 strides (2,1) no bias sigmoid', covers: ['Conv2D'], build: () => chain(img(10, 6, 3), conv({ filters: 4, kernelSize: [3, 1], strides: [2, 1], padding: 'same', useBias: false, activation: 'sigmoid' })) },
  { name: 'conv 1x1 pointwise', covers: ['Conv2D'], build: () => chain(img(5, 5, 6), conv({ filters: 7, kernelSize: 1 })) },
  {
    name: 'conv same s2 with unknown H, W (auto_pad)',
    covers: ['Conv2D'],
    build: () => chain([null, null, 3], conv({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' })),
    shape: [2, 8, 10, 3]
  },

  // DepthwiseConv2D: group conv, depth multiplier, strides, paddings, dilation.
  { name: 'depthwise 3x3 s1 same', covers: ['DepthwiseConv2D'], build: () => chain(img(8, 8, 4), L.depthwiseConv2d({ kernelSize: 3, padding: 'same' })) },
  { name: 'depthwise 3x3 s2 same mult 2 on even', covers: ['DepthwiseConv2D'], build: () => chain(img(8, 8, 3), L.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', depthMultiplier: 2 })) },
  { name: 'depthwise 5x5 s2 valid mult 3 no bias', covers: ['DepthwiseConv2D'], build: () => chain(img(11, 9, 2), L.depthwiseConv2d({ kernelSize: 5, strides: 2, padding: 'valid', depthMultiplier: 3, useBias: false })) },
  { name: 'depthwise 3x3 s1 valid relu6', covers: ['DepthwiseConv2D'], build: () => chain(img(9, 9, 3), L.depthwiseConv2d({ kernelSize: 3, padding: 'valid', activation: 'relu6' })) },

  // SeparableConv2D.
  { name: 'separable 3x3 s1 same', covers: ['SeparableConv2D'], build: () => chain(img(8, 8, 3), L.separableConv2d({ filters: 5, kernelSize: 3, padding: 'same' })) },
  { name: 'separable 3x3 dilation 2 same no bias', covers: ['SeparableConv2D'], build: () => chain(img(9, 9, 3), L.separableConv2d({ filters: 4, kernelSize: 3, dilationRate: 2, padding: 'same', useBias: false })) },
  { name: 'separable 3x3 s2 same mult 2 relu', covers: ['SeparableConv2D'], build: () => chain(img(8, 8, 3), L.separableConv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', depthMultiplier: 2, activation: 'relu' })) },

  // BatchNormalization (inference): channels of an image, features, other axes, no scale/center.
  { name: 'batchnorm after conv', covers: ['BatchNormalization'], build: () => afterConv(img(6, 6, 3), L.batchNormalization()) },
  { name: 'batchnorm on input (NHWC value)', covers: ['BatchNormalization'], build: () => chain(img(5, 5, 3), L.batchNormalization({ epsilon: 0.01 })) },
  { name: 'batchnorm axis 3 (explicit) after depthwise', covers: ['BatchNormalization'], build: () => chain(img(6, 4, 3), L.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false }), L.batchNormalization({ axis: 3 })) },
  { name: 'batchnorm 2D, no scale, no center', covers: ['BatchNormalization'], build: () => chain([7], L.batchNormalization({ scale: false, center: false })) },
  { name: 'batchnorm on rank 3 last axis', covers: ['BatchNormalization'], build: () => chain([4, 6], L.batchNormalization()) },

  // ReLU (incl. max_value -> Clip) and the named activations, on NCHW images and on features.
  { name: 'ReLU', covers: ['ReLU'], build: () => afterConv(img(5, 5, 2), L.reLU()) },
  { name: 'ReLU max 6', covers: ['ReLU'], build: () => afterConv(img(5, 5, 2), L.reLU({ maxValue: 6 })) },
  { name: 'ReLU max 0.7 on features', covers: ['ReLU'], build: () => chain([9], L.reLU({ maxValue: 0.7 })) },
  ...['linear', 'relu', 'relu6', 'sigmoid', 'hardSigmoid', 'tanh', 'softmax', 'elu', 'selu', 'softplus', 'softsign', 'swish', 'mish', 'gelu', 'logSoftmax'].flatMap(
    (a): Case[] => [
      { name: `Activation ${a} (image)`, covers: ['Activation'], build: () => afterConv(img(4, 5, 2), L.activation({ activation: a as 'relu' })), range: [-4, 4] },
      { name: `Activation ${a} (features)`, covers: ['Activation'], build: () => chain([6], L.activation({ activation: a as 'relu' })), range: [-4, 4] }
    ]
  ),
  { name: 'LeakyReLU', covers: ['LeakyReLU'], build: () => afterConv(img(4, 4, 2), L.leakyReLU({ alpha: 0.2 })) },
  { name: 'ELU', covers: ['ELU'], build: () => chain([8], L.elu()) },
  { name: 'ThresholdedReLU', covers: ['ThresholdedReLU'], build: () => chain([8], L.thresholdedReLU({ theta: 0.5 })) },
  { name: 'Softmax default axis (1) on features', covers: ['Softmax'], build: () => chain([10], L.softmax()) },
  { name: 'Softmax axis -1 on image', covers: ['Softmax'], build: () => afterConv(img(3, 4, 2), L.softmax({ axis: -1 })) },
  { name: 'Softmax axis [-1] on rank 3', covers: ['Softmax'], build: () => chain([3, 4], L.softmax({ axis: [-1] })) },

  // Merges: residual (both NCHW), mixed layouts (NCHW + the raw NHWC input), features, 3 inputs.
  {
    name: 'Add residual',
    covers: ['Add'],
    build: () => branches(img(6, 6, 3), (ys) => L.add().apply(ys) as tf.SymbolicTensor, [() => conv({ filters: 3, kernelSize: 3, padding: 'same' }), () => conv({ filters: 3, kernelSize: 1 })])
  },
  {
    name: 'Add conv + raw input (mixed layouts)',
    covers: ['Add'],
    build: () => {
      const x = tf.input({ shape: [6, 6, 3] })
      const y = conv({ filters: 3, kernelSize: 3, padding: 'same' }).apply(x) as tf.SymbolicTensor
      return tf.model({ inputs: x, outputs: L.add().apply([y, x]) as tf.SymbolicTensor })
    }
  },
  { name: 'Add of 3 features', covers: ['Add'], build: () => branches([5], (ys) => L.add().apply(ys) as tf.SymbolicTensor, [() => L.dense({ units: 4 }), () => L.dense({ units: 4 }), () => L.dense({ units: 4 })]) },
  { name: 'Multiply', covers: ['Multiply'], build: () => branches(img(5, 5, 2), (ys) => L.multiply().apply(ys) as tf.SymbolicTensor, [() => conv({ filters: 3, kernelSize: 3, padding: 'same' }), () => conv({ filters: 3, kernelSize: 1, activation: 'sigmoid' })]) },
  {
    name: 'Multiply image by per-channel features (ranks 4 and 2)',
    covers: ['Multiply'],
    build: () => {
      const x = tf.input({ shape: [5, 4, 3] })
      const y = conv({ filters: 3, kernelSize: 3, padding: 'same' }).apply(x) as tf.SymbolicTensor
      const gate = L.dense({ units: 3, activation: 'sigmoid' }).apply(L.globalAveragePooling2d({}).apply(y)) as tf.SymbolicTensor
      return tf.model({ inputs: x, outputs: L.multiply().apply([y, gate]) as tf.SymbolicTensor })
    }
  },
  { name: 'Average of 3', covers: ['Average'], build: () => branches([5], (ys) => L.average().apply(ys) as tf.SymbolicTensor, [() => L.dense({ units: 4 }), () => L.dense({ units: 4 }), () => L.dense({ units: 4 })]) },
  { name: 'Maximum', covers: ['Maximum'], build: () => branches(img(4, 4, 2), (ys) => L.maximum().apply(ys) as tf.SymbolicTensor, [() => conv({ filters: 3, kernelSize: 3, padding: 'same' }), () => conv({ filters: 3, kernelSize: 1 })]) },
  { name: 'Minimum', covers: ['Minimum'], build: () => branches([6], (ys) => L.minimum().apply(ys) as tf.SymbolicTensor, [() => L.dense({ units: 3 }), () => L.dense({ units: 3 })]) },
  { name: 'Concatenate channels', covers: ['Concatenate'], build: () => branches(img(5, 5, 2), (ys) => L.concatenate().apply(ys) as tf.SymbolicTensor, [() => conv({ filters: 3, kernelSize: 3, padding: 'same' }), () => conv({ filters: 2, kernelSize: 1 })]) },
  {
    name: 'Concatenate axis 2 (W), conv + raw input',
    covers: ['Concatenate'],
    build: () => {
      const x = tf.input({ shape: [4, 5, 3] })
      const y = conv({ filters: 3, kernelSize: 3, padding: 'same' }).apply(x) as tf.SymbolicTensor
      return tf.model({ inputs: x, outputs: L.concatenate({ axis: 2 }).apply([y, x]) as tf.SymbolicTensor })
    }
  },
  { name: 'Concatenate features', covers: ['Concatenate'], build: () => branches([4], (ys) => L.concatenate().apply(ys) as tf.SymbolicTensor, [() => L.dense({ units: 3 }), () => L.dense({ units: 5 })]) },

  // Pooling.
  { name: 'GlobalAveragePooling2D', covers: ['GlobalAveragePooling2D'], build: () => afterConv(img(6, 5, 3), L.globalAveragePooling2d({})) },
  { name: 'GlobalMaxPooling2D on raw input', covers: ['GlobalMaxPooling2D'], build: () => chain(img(6, 5, 3), L.globalMaxPooling2d({})) },
  { name: 'AveragePooling2D 2x2 valid', covers: ['AveragePooling2D'], build: () => afterConv(img(8, 8, 2), L.averagePooling2d({ poolSize: 2 })) },
  { name: 'AveragePooling2D 3x3 s2 same on even', covers: ['AveragePooling2D'], build: () => afterConv(img(8, 8, 2), L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' })) },
  { name: 'AveragePooling2D 3x3 s1 same', covers: ['AveragePooling2D'], build: () => chain(img(5, 7, 2), L.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same' })) },
  { name: 'MaxPooling2D 2x2 valid on odd', covers: ['MaxPooling2D'], build: () => afterConv(img(7, 7, 2), L.maxPooling2d({ poolSize: 2 })) },
  { name: 'MaxPooling2D 3x3 s2 same on even', covers: ['MaxPooling2D'], build: () => afterConv(img(8, 6, 2), L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' })) },
  { name: 'ZeroPadding2D then valid conv', covers: ['ZeroPadding2D'], build: () => chain(img(6, 6, 2), L.zeroPadding2d({ padding: [[1, 2], [3, 0]] }), conv({ filters: 3, kernelSize: 3, strides: 2 })) },

  // Dense, Flatten (NHWC order!), Reshape, Permute, RepeatVector.
  { name: 'Dense relu', covers: ['Dense'], build: () => chain([12], L.dense({ units: 7, activation: 'relu' })) },
  { name: 'Dense no bias softmax', covers: ['Dense'], build: () => chain([12], L.dense({ units: 5, useBias: false, activation: 'softmax' })) },
  { name: 'Dense on rank 3', covers: ['Dense'], build: () => chain([3, 6], L.dense({ units: 4, activation: 'tanh' })) },
  { name: 'Flatten after conv, then Dense', covers: ['Flatten'], build: () => afterConv(img(4, 3, 2), L.flatten(), L.dense({ units: 6 })) },
  { name: 'Flatten rank 3', covers: ['Flatten'], build: () => chain([3, 4], L.flatten()) },
  { name: 'Flatten channelsFirst after conv', covers: ['Flatten'], build: () => afterConv(img(3, 4, 2), L.flatten({ dataFormat: 'channelsFirst' })) },
  { name: 'Reshape image to [-1, C], then Dense', covers: ['Reshape'], build: () => afterConv(img(3, 4, 2), L.reshape({ targetShape: [-1, 5] }), L.dense({ units: 3 })) },
  {
    name: 'Reshape pooled to [1, 1, C] then 1x1 conv (MobileNet top)',
    covers: ['Reshape'],
    build: () => afterConv(img(4, 4, 2), L.globalAveragePooling2d({}), L.reshape({ targetShape: [1, 1, 5] }), conv({ filters: 4, kernelSize: 1 }), L.flatten())
  },
  { name: 'Permute', covers: ['Permute'], build: () => afterConv(img(3, 4, 2), L.permute({ dims: [2, 1, 3] })) },
  { name: 'RepeatVector', covers: ['RepeatVector'], build: () => chain([4], L.repeatVector({ n: 3 })) },

  // Identities at inference, and Rescaling.
  { name: 'Dropout', covers: ['Dropout'], build: () => chain([6], L.dense({ units: 4 }), L.dropout({ rate: 0.5 })) },
  { name: 'SpatialDropout1D', covers: ['SpatialDropout1D'], build: () => chain([3, 4], L.spatialDropout1d({ rate: 0.5 }), L.dense({ units: 2 })) },
  { name: 'GaussianNoise', covers: ['GaussianNoise'], build: () => chain([6], L.gaussianNoise({ stddev: 1 }), L.dense({ units: 2 })) },
  { name: 'GaussianDropout', covers: ['GaussianDropout'], build: () => chain([6], L.gaussianDropout({ rate: 0.3 }), L.dense({ units: 2 })) },
  { name: 'AlphaDropout', covers: ['AlphaDropout'], build: () => chain([6], L.alphaDropout({ rate: 0.3 }), L.dense({ units: 2 })) },
  { name: 'Rescaling 1/127.5 - 1', covers: ['Rescaling'], build: () => chain(img(4, 4, 3), L.rescaling({ scale: 1 / 127.5, offset: -1 }), conv({ filters: 2, kernelSize: 3 })), range: [0, 255] },
  { name: 'Rescaling 1/255', covers: ['Rescaling'], build: () => chain([5], L.rescaling({ scale: 1 / 255 })), range: [0, 255] },

  // Structure: nested functional model, nested Sequential, a layer applied twice (shared weights).
  {
    name: 'nested functional model',
    covers: ['Model', 'InputLayer'],
    build: () => {
      const inner = chain(img(6, 6, 3), conv({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }), L.batchNormalization())
      return chain(img(6, 6, 3), L.rescaling({ scale: 0.5 }), inner as unknown as tf.layers.Layer, L.globalAveragePooling2d({}), L.dense({ units: 3, activation: 'softmax' }))
    }
  },
  {
    name: 'nested Sequential',
    covers: ['Sequential'],
    build: () => {
      const inner = tf.sequential({ layers: [L.dense({ inputShape: [5], units: 4, activation: 'relu' }), L.dense({ units: 3 })] })
      return chain([5], inner as unknown as tf.layers.Layer, L.softmax())
    }
  },
  {
    name: 'shared Dense applied twice',
    covers: ['Dense'],
    build: () => {
      const shared = L.dense({ units: 4, activation: 'tanh' })
      return branches([6], (ys) => L.add().apply(ys.map((y) => shared.apply(y) as tf.SymbolicTensor)) as tf.SymbolicTensor, [() => L.dense({ units: 6 }), () => L.dense({ units: 6 })])
    }
  }
]

const results: { name: string; covers: string[]; maxAbsDiff: number }[] = []

beforeAll(useWasm)

afterAll(() => {
  // Worst difference per layer type, one line, so that a run shows how close each translation is.
  const perType = new Map<string, number>()
  for (const r of results) for (const t of r.covers) perType.set(t, Math.max(perType.get(t) ?? 0, r.maxAbsDiff))
  const line = [...perType].map(([t, d]) => `${t} ${d.toExponential(1)}`).join(', ')
  console.log(`ONNX layer cases: ${results.length}; worst max abs diff per type: ${line}`)
})

describe('tfjsToOnnx layer by layer (onnxruntime vs tfjs wasm)', () => {
  it.each(cases.map((c, i) => [c.name, c, i] as const))('%s', async (_name, c, i) => {
    const model = c.build()
    randomizeWeights(model, 1000 + i)
    const shape = c.shape ?? [2, ...(model.inputs[0]!.shape.slice(1) as number[])]
    const [lo, hi] = c.range ?? [-2, 2]
    const r = await compare(model, randomBatch(shape, 7 + i, lo, hi), shape)
    results.push({ name: c.name, covers: c.covers, maxAbsDiff: r.maxAbsDiff })
    expect(r.maxAbsDiff).toBeLessThanOrEqual(TOLERANCE)
    model.dispose()
  })

  it('has a case for every supported layer type', () => {
    const covered = new Set(cases.flatMap((c) => c.covers))
    const missing = supportedLayerTypes().filter((t) => !covered.has(t) && t !== 'Functional')
    expect(missing).toEqual([])
  })
})
