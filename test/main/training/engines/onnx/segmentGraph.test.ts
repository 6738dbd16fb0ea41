import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildSegment } from '../../../../../src/main/backbones/segments'
import { GraphBuilder } from '../../../../../src/main/export/onnx/graph'
import { decodeModel } from '../../../../../src/main/export/onnx/onnxProto'
import { nchwcBlockSize } from '../../../../../src/main/training/engines/onnx/convGradients'
import { addSegment, segmentGradientModel } from '../../../../../src/main/training/engines/onnx/segmentGraph'
import { mulberry32 } from '../../../../../src/main/util/random'
import { BACKBONES, folderHandler } from '../../../export/onnx/helpers'
import { maxRelDiff } from '../../../../helpers/numeric'

// Every gradient is compared with TF.js autodiff on the cpu backend (plain JavaScript kernels):
// loss = sum(segment(x) * r), so d(loss)/d(output) = r, random. Tolerance: the largest difference
// relative to the largest reference value (maxRelDiff) below 1e-4 on the small models, 2e-4 on
// the whole MobileNetV2 groups (sums over thousands of terms in float32 on both sides). On whole
// groups a ReLU input within rounding of 0 or 6 (one in ~10^5-10^6 values; both runtimes round
// differently) sends that one gradient element the other way in each runtime, and both are
// right: the seeds below are ones where no ReLU input of the checked stretch lies that close
// (found by trying; with one such element the gradients below it differ by ~1e-3).
const TOLERANCE = 1e-4

const randoms = (n: number, seed: number, lo = -1, hi = 1): Float32Array => {
  const rand = mulberry32(seed)
  return Float32Array.from({ length: n }, () => lo + rand() * (hi - lo))
}
const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1)

/** ONNX Runtime's NCHWc channel block here (16 with AVX-512, 8 with AVX2), null without them */
let nchwcBlock: number | null = null
beforeAll(async () => {
  await tf.setBackend('cpu')
  nchwcBlock = await nchwcBlockSize(ort)
})

/** Random weights (seeded) in every variable of the model, scaled so activations stay in range. */
function randomizeWeights(model: tf.LayersModel, seed: number): void {
  model.setWeights(
    model.weights.map((w, i) => {
      const shape = w.shape as number[]
      const isVariance = /variance/.test(w.name)
      const isGamma = /gamma/.test(w.name)
      const data = isVariance ? randoms(size(shape), seed + i, 0.5, 1.5) : isGamma ? randoms(size(shape), seed + i, 0.5, 1.5) : randoms(size(shape), seed + i, -0.6, 0.6)
      return tf.tensor(data, shape)
    })
  )
}

interface Result {
  y: Float32Array
  grads: Map<tf.Variable, Float32Array>
  stats: Map<string, { mean: Float32Array; variance: Float32Array }>
}

/** The segment's forward + backward on ONNX Runtime, in TF.js layouts (NHWC values, TF.js kernels). */
async function onnx(segment: tf.LayersModel, training: boolean, x: Float32Array, r: Float32Array, n: number, fixedBatch: boolean, nchwcBlock: number | null): Promise<Result> {
  const built = segmentGradientModel(segment, { training, ...(fixedBatch ? { batch: n } : {}), nchwcBlock })
  if (typeof built === 'string') throw new Error(built)
  const { model, graph, inputShape } = built
  const [, c, h, w] = inputShape
  const [, oc, oh, ow] = graph.outputShape
  const toNchw = (v: Float32Array, s: [number, number, number, number]) => tf.tidy(() => tf.transpose(tf.tensor4d(v, s), [0, 3, 1, 2]).dataSync() as Float32Array)
  const feeds: Record<string, ort.Tensor> = {
    x: new ort.Tensor('float32', toNchw(x, [n, h, w, c]), [n, c, h, w]),
    dy: new ort.Tensor('float32', toNchw(r, [n, oh, ow, oc]), [n, oc, oh, ow])
  }
  for (const p of graph.params) feeds[p.name] = new ort.Tensor('float32', p.toOnnx(p.variable.dataSync() as Float32Array), p.shape)
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, graphOptimizationLevel: 'all' })
  try {
    const out = await session.run(feeds)
    const y = tf.tidy(() => tf.transpose(tf.tensor4d(out['y']!.data as Float32Array, [n, oc, oh, ow]), [0, 2, 3, 1]).dataSync() as Float32Array)
    const grads = new Map(graph.params.map((p) => [p.variable, p.fromOnnx(out[`grad/${p.name}`]!.data as Float32Array)]))
    const stats = new Map(graph.batchStats.map((s) => [s.layer.name, { mean: out[`mean/${s.layer.name}`]!.data as Float32Array, variance: out[`variance/${s.layer.name}`]!.data as Float32Array }]))
    return { y, grads, stats }
  } finally {
    await session.release()
  }
}

/** The same through TF.js autodiff; batch-norm statistics from tf.moments of each BN's input. */
function reference(segment: tf.LayersModel, training: boolean, x: Float32Array, r: Float32Array, n: number): Result {
  const before = tf.memory().numTensors
  const inShape = [n, ...(segment.inputs[0]!.shape.slice(1) as number[])]
  const vars = segment.layers.flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable))
  const stats = new Map<string, { mean: Float32Array; variance: Float32Array }>()
  if (training) {
    for (const layer of segment.layers.filter((l) => l.getClassName() === 'BatchNormalization')) {
      const inbound = (segment.getConfig() as unknown as { layers: { name: string; inboundNodes: [string][][] }[] }).layers.find((l) => l.name === layer.name)!.inboundNodes[0]![0]![0]
      const below = inbound.startsWith('segment_input__') ? null : buildSegment(segment, null, inbound)
      tf.tidy(() => {
        const xs = tf.tensor(x, inShape)
        const m = tf.moments(below ? (below.apply(xs, { training: true }) as tf.Tensor) : xs, [0, 1, 2])
        stats.set(layer.name, { mean: m.mean.dataSync() as Float32Array, variance: m.variance.dataSync() as Float32Array })
      })
      below?.dispose()
    }
  }
  let y: Float32Array | null = null
  const grads = new Map<tf.Variable, Float32Array>()
  tf.tidy(() => {
    const xs = tf.tensor(x, inShape)
    const result = tf.variableGrads(() => {
      const out = segment.apply(xs, { training }) as tf.Tensor
      y = out.dataSync() as Float32Array
      return tf.sum(tf.mul(out, tf.tensor(r, out.shape)))
    }, vars)
    for (const v of vars) grads.set(v, result.grads[v.name]!.dataSync() as Float32Array)
  })
  expect(tf.memory().numTensors).toBe(before)
  return { y: y!, grads, stats }
}

/** Runs both and compares the output, every parameter's gradient and the batch statistics.
 * fixedBatch: the graph built for batch n (depthwise convolutions grouped per image); nchwc: on
 * ONNX Runtime's NCHWc kernels where this machine has them. */
async function check(segment: tf.LayersModel, opts: { training: boolean; n: number; seed: number; lo?: number; hi?: number; tolerance?: number; fixedBatch?: boolean; nchwc?: boolean }): Promise<{ params: number }> {
  const inShape = segment.inputs[0]!.shape.slice(1) as number[]
  const outShape = segment.outputs[0]!.shape.slice(1) as number[]
  const x = randoms(opts.n * size(inShape), opts.seed, opts.lo ?? -2, opts.hi ?? 2)
  const r = randoms(opts.n * size(outShape), opts.seed + 1)
  // ONNX first: in training mode TF.js's BN layers update their running statistics as they run
  const mine = await onnx(segment, opts.training, x, r, opts.n, opts.fixedBatch ?? false, opts.nchwc ? nchwcBlock : null)
  const ref = reference(segment, opts.training, x, r, opts.n)
  const tolerance = opts.tolerance ?? TOLERANCE
  expect(maxRelDiff(mine.y, ref.y), 'output').toBeLessThan(tolerance)
  expect(mine.grads.size).toBe(ref.grads.size)
  for (const [v, g] of ref.grads) {
    const got = mine.grads.get(v)
    expect(got, v.name).toBeDefined()
    expect(got!.length, v.name).toBe(g.length)
    expect(maxRelDiff(got!, g), v.name).toBeLessThan(tolerance)
  }
  expect([...mine.stats.keys()].sort()).toEqual([...ref.stats.keys()].sort())
  for (const [name, s] of ref.stats) {
    expect(maxRelDiff(mine.stats.get(name)!.mean, s.mean), `${name} mean`).toBeLessThan(tolerance)
    expect(maxRelDiff(mine.stats.get(name)!.variance, s.variance), `${name} variance`).toBeLessThan(tolerance)
  }
  return { params: ref.grads.size }
}

type Sym = tf.SymbolicTensor
const apply = (layer: tf.layers.Layer, x: Sym | Sym[]): Sym => layer.apply(x) as Sym

describe('a segment as ONNX forward + backward, layer by layer against TF.js autodiff', () => {
  it('the stem: a 3x3 convolution at stride 2 over 3 channels, with bias, then ReLU max 6 (no dx of the input)', async () => {
    const input = tf.input({ shape: [9, 8, 3] })
    const conv = apply(tf.layers.conv2d({ filters: 5, kernelSize: 3, strides: 2, padding: 'same', useBias: true }), input)
    const model = tf.model({ inputs: input, outputs: apply(tf.layers.reLU({ maxValue: 6 }), conv) })
    randomizeWeights(model, 10)
    expect((await check(model, { training: true, n: 3, seed: 1 })).params).toBe(2)
    model.dispose()
  })

  it('an inverted-residual block: 1x1 expand, ReLU6, depthwise 3x3, 1x1 project, residual Add; then stride 2 and k x k convolutions', async () => {
    const input = tf.input({ shape: [6, 6, 4] })
    let x = apply(tf.layers.conv2d({ filters: 8, kernelSize: 1, padding: 'same' }), input)
    x = apply(tf.layers.reLU({ maxValue: 6 }), x)
    x = apply(tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same' }), x)
    x = apply(tf.layers.reLU({ maxValue: 6 }), x)
    x = apply(tf.layers.conv2d({ filters: 4, kernelSize: 1, padding: 'same' }), x)
    const block = apply(tf.layers.add(), [x, input])
    // the block's output is read twice: by the next block and by the next residual Add
    let y = apply(tf.layers.conv2d({ filters: 4, kernelSize: 1, padding: 'same', activation: 'relu6' }), block)
    y = apply(tf.layers.add(), [y, block])
    // stride 2 on an even size (TF's 'same' pads after only), fused activations, 'valid', no bias
    y = apply(tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }), y)
    y = apply(tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 1, padding: 'same', useBias: false, activation: 'relu6' }), y)
    y = apply(tf.layers.conv2d({ filters: 5, kernelSize: [2, 3], strides: [1, 2], padding: 'valid' }), y)
    y = apply(tf.layers.reLU(), y)
    const model = tf.model({ inputs: input, outputs: y })
    randomizeWeights(model, 20)
    expect((await check(model, { training: true, n: 2, seed: 2 })).params).toBe(13)
    model.dispose()
  })

  describe.each([true, false])('MobileNetV1-style conv + BatchNormalization + Activation relu6 (training %s)', (training) => {
    it('gives TF.js gradients, and in training the batch mean and biased variance', async () => {
      const input = tf.input({ shape: [7, 7, 3] })
      let x = apply(tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', useBias: false }), input)
      x = apply(tf.layers.batchNormalization({ epsilon: 1e-3 }), x)
      x = apply(tf.layers.activation({ activation: 'relu6' }), x)
      x = apply(tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false }), x)
      x = apply(tf.layers.batchNormalization({ epsilon: 1e-3 }), x)
      x = apply(tf.layers.activation({ activation: 'relu' }), x)
      x = apply(tf.layers.conv2d({ filters: 5, kernelSize: 1, padding: 'same', useBias: false }), x)
      x = apply(tf.layers.batchNormalization({ epsilon: 1e-5, momentum: 0.9 }), x)
      x = apply(tf.layers.activation({ activation: 'linear' }), x)
      const model = tf.model({ inputs: input, outputs: x })
      randomizeWeights(model, 30)
      // 3 kernels, 3 gammas, 3 betas
      expect((await check(model, { training, n: 3, seed: 3 })).params).toBe(9)
      model.dispose()
    })
  })

  // depthwise has three formulations (convGradients.ts): dynamic batch (NCHW between Transposes),
  // a graph for one batch size (c * n groups; dx by the flipped kernel at stride 1, ConvTranspose
  // at stride 2), and for dkernel the taps (stride 1, maps of 14 x 14 and more) or the grouped
  // correlation (stride 2, smaller maps): every combination, odd sizes, both paddings, with and
  // without bias and a fused activation, batches of 1 and odd
  describe.each([
    ['15 x 15 (the taps), batch', [15, 15, 3] as const],
    ['13 x 9 (the correlation), batch', [13, 9, 4] as const]
  ])('depthwise 3x3 at stride 1 and 2, same and valid, on %s', (_, inShape) => {
    // 16 channels: a multiple of the NCHWc block, so that those kernels run where asked for
    it.each([
      [1, false, false],
      [1, true, false],
      [3, false, false],
      [3, true, false],
      [5, true, false],
      [1, false, true],
      [1, true, true],
      [3, false, true],
      [3, true, true],
      [5, true, true]
    ])('%i, graph for that batch only: %s, NCHWc kernels: %s', async (n, fixedBatch, nchwc) => {
      const input = tf.input({ shape: [...inShape] })
      let x = apply(tf.layers.conv2d({ filters: 16, kernelSize: 1 }), input)
      x = apply(tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', activation: 'relu6' }), x)
      x = apply(tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'valid', useBias: false }), x)
      x = apply(tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same' }), x)
      x = apply(tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'valid', activation: 'relu' }), x)
      const y = apply(tf.layers.conv2d({ filters: 3, kernelSize: 1 }), x)
      const model = tf.model({ inputs: input, outputs: y })
      randomizeWeights(model, 50 + n)
      expect((await check(model, { training: true, n, seed: 5 + n, fixedBatch, nchwc })).params).toBe(11)
      model.dispose()
    })
  })

  it('an untrainable layer keeps its weights as constants and passes the gradient through', async () => {
    const input = tf.input({ shape: [5, 5, 3] })
    const frozen = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' })
    let x = apply(frozen, input)
    x = apply(tf.layers.conv2d({ filters: 3, kernelSize: 1 }), x)
    const model = tf.model({ inputs: input, outputs: x })
    randomizeWeights(model, 40)
    frozen.trainable = false
    // the first layer trains nothing and nothing below it does: no backward reaches it
    expect((await check(model, { training: true, n: 2, seed: 4 })).params).toBe(2)
    model.dispose()
  })
})

describe('the NCHWc depthwise graph for a known batch moves no data it need not', () => {
  // what a timing cannot hold in a test: on 2 intra-op threads ONNX Runtime ran the Transposes
  // that once reordered the depthwise filters 40-45x slower than on one (convGradients.ts
  // nchwcFilter), and its common-subexpression pass does not merge two reorders of one input
  it('has no Transpose inside a layer, and reorders each depthwise input once', () => {
    if (nchwcBlock === null) return // no NCHWc kernels on this CPU: the standard operators run
    const input = tf.input({ shape: [9, 9, 4] })
    let x = apply(tf.layers.conv2d({ filters: 16, kernelSize: 1, name: 'expand' }), input)
    x = apply(tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', activation: 'relu6', name: 'dw1' }), x)
    x = apply(tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', name: 'dw2' }), x)
    const model = tf.model({ inputs: input, outputs: apply(tf.layers.conv2d({ filters: 3, kernelSize: 1, name: 'project' }), x) })
    const built = segmentGradientModel(model, { training: true, batch: 8, nchwcBlock })
    model.dispose()
    if (typeof built === 'string') throw new Error(built)
    const nodes = decodeModel(built.model).graph.node
    const inLayer = (name: string): boolean => /^(expand|dw1|dw2|project)\//.test(name)
    expect(nodes.filter((n) => n.opType === 'Transpose' && inLayer(n.name ?? '')).map((n) => n.name)).toEqual([])
    for (const layer of ['dw1', 'dw2']) {
      // the value each of the layer's ReorderInputs reads (through the Reshape before it, if any)
      const producer = (name: string) => nodes.find((n) => n.output.includes(name))
      const read = nodes
        .filter((r) => r.opType === 'ReorderInput' && r.name.startsWith(`${layer}/`))
        .map((r) => (producer(r.input[0]!)?.opType === 'Reshape' ? producer(r.input[0]!)!.input[0]! : r.input[0]!))
      expect(read.length).toBeGreaterThanOrEqual(3) // x, the filter, dy
      expect(new Set(read).size).toBe(read.length)
    }
  })
})

describe('what the graph does not express is refused in plain words, naming the layer', () => {
  const refusal = (layer: tf.layers.Layer): string => {
    const input = tf.input({ shape: [8, 8, 3] })
    const model = tf.model({ inputs: input, outputs: apply(layer, apply(tf.layers.conv2d({ filters: 2, kernelSize: 1, name: 'fine' }), input)) })
    const g = new GraphBuilder()
    const result = addSegment(g, model, g.reserve('x'), { training: true })
    model.dispose()
    expect(typeof result).toBe('string')
    return result as string
  }
  it.each([
    [() => tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' }), /layer pool \(MaxPooling2D\) is not a layer type/],
    [() => tf.layers.conv2d({ filters: 2, kernelSize: 3, dilationRate: 2, name: 'dilated' }), /layer dilated \(Conv2D\) is dilated/],
    [() => tf.layers.conv2d({ filters: 2, kernelSize: 3, activation: 'sigmoid', name: 'sig' }), /layer sig \(Conv2D\) has activation "sigmoid"/],
    [() => tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, name: 'mult' }), /layer mult \(DepthwiseConv2D\) has depth multiplier 2/],
    [() => tf.layers.activation({ activation: 'tanh', name: 'th' }), /layer th \(Activation\) has activation "tanh"/],
    [() => tf.layers.batchNormalization({ scale: false, name: 'noscale' }), /layer noscale \(BatchNormalization\) has no scale/]
  ])('%#', (make, reason) => {
    expect(refusal(make())).toMatch(reason)
  })
})

/** tfjs-backend-cpu's Conv2DBackpropFilter walks every (kernel tap, input channel, output
 * channel, position) with generic indexing: 15 s for one of MobileNetV2's 1x1 convolutions at
 * 7x7, most of a whole-group check. For 1x1 kernels at stride 1 the kernel gradient is the
 * matrix product x^T . dy over batch and space, computed here in a plain loop; every other
 * convolution keeps TF.js's own kernel, and the layer tests above use TF.js's for all of them. */
function fastPointwiseFilterGradient(): () => void {
  const original = tf.getKernel('Conv2DBackpropFilter', 'cpu')!
  const kernelFunc: tf.KernelFunc = (args) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo }
    const attrs = args.attrs as unknown as { strides: number | [number, number]; filterShape: [number, number, number, number]; dataFormat: string; dilations?: number | number[] }
    const strides = typeof attrs.strides === 'number' ? [attrs.strides, attrs.strides] : attrs.strides
    const [kh, kw, cin, cout] = attrs.filterShape
    if (kh !== 1 || kw !== 1 || strides.some((s) => s !== 1) || attrs.dataFormat !== 'NHWC') return original.kernelFunc(args)
    const backend = args.backend as unknown as { data: { get(id: unknown): { values: Float32Array } }; makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo }
    const xs = backend.data.get(x.dataId).values
    const ds = backend.data.get(dy.dataId).values
    const out = new Float64Array(cin * cout)
    const positions = xs.length / cin
    for (let p = 0; p < positions; p++) {
      for (let i = 0; i < cin; i++) {
        const xv = xs[p * cin + i]!
        for (let o = 0; o < cout; o++) out[i * cout + o]! += xv * ds[p * cout + o]!
      }
    }
    return backend.makeTensorInfo(attrs.filterShape, 'float32', Float32Array.from(out))
  }
  tf.unregisterKernel('Conv2DBackpropFilter', 'cpu')
  tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'cpu', kernelFunc })
  return () => {
    tf.unregisterKernel('Conv2DBackpropFilter', 'cpu')
    tf.registerKernel(original)
  }
}

describe('whole backbone groups from the mirror (MobileNetV2, and MobileNetV1 with batch norm), against TF.js', () => {
  let model: tf.LayersModel
  let restore: () => void = () => {}
  beforeAll(async () => {
    model = await tf.loadLayersModel(folderHandler(path.join(BACKBONES, 'mobilenet_v2_1.0_224')))
    restore = fastPointwiseFilterGradient()
  }, 60_000)
  afterAll(() => {
    restore()
    model?.dispose()
  })

  it.each([
    ['the last group from its cut (block 17 + the 1x1 conv to 1280)', 'expanded_conv_16_add_add', 2, false, false],
    ['the last four blocks from the cut after block 13', 'expanded_conv_13_add_add', 2, false, false],
    ['the last four blocks, a graph for batch 3 only', 'expanded_conv_13_add_add', 3, true, false],
    ['the last four blocks, for batch 3, on the NCHWc kernels', 'expanded_conv_13_add_add', 3, true, true],
    ['the last four blocks on the NCHWc kernels, any batch', 'expanded_conv_13_add_add', 2, false, true]
  ])('%s', async (_, from, n, fixedBatch, nchwc) => {
    const segment = buildSegment(model, from, 'Conv2d_18_1_relu6')
    const { params } = await check(segment, { training: true, n, seed: 21, lo: -3, hi: 3, tolerance: 2e-4, fixedBatch, nchwc })
    expect(params).toBe(segment.layers.reduce((a, l) => a + l.trainableWeights.length, 0))
    segment.dispose()
  })

  describe.each([true, false])('MobileNetV1 0.75: its last group (blocks 12-13, batch norm after every convolution), training %s', (training) => {
    let v1: tf.LayersModel
    beforeAll(async () => {
      v1 = await tf.loadLayersModel(folderHandler(path.join(BACKBONES, 'mobilenet_v1_0.75_224')))
    }, 60_000)
    afterAll(() => v1?.dispose())
    it('gives the output, gradients and batch statistics TF.js gives', async () => {
      const segment = buildSegment(v1, 'conv_pw_11_relu', 'conv_pw_13_relu')
      // ONNX runs first, so TF.js's running-average update in training mode cannot reach it
      const { params } = await check(segment, { training, n: 2, seed: 21, lo: 0, hi: 6, tolerance: 2e-4 })
      expect(params).toBe(12) // 4 kernels, 4 gammas, 4 betas
      segment.dispose()
    })
  })

  it.each([
    ['', false],
    [', for batch 1 on the NCHWc kernels', true]
  ])('a stretch from the input: the stem and blocks 1-2, at 224 x 224%s', async (_, nchwc) => {
    const segment = buildSegment(model, null, 'expanded_conv_2_project')
    await check(segment, { training: true, n: 1, seed: 21, lo: -1, hi: 1, tolerance: 2e-4, fixedBatch: nchwc, nchwc })
    segment.dispose()
  })
})
