// addSegment's runningStatsAsInputs (inference): the batch norms' running statistics are graph
// inputs, so one session follows them as training moves them (OnnxThawStep's validation), and the
// graph computes what the initializer form computes, bit for bit.
import * as tf from '@tensorflow/tfjs'
import * as ort from 'onnxruntime-node'
import { beforeAll, describe, expect, it } from 'vitest'
import { GraphBuilder } from '../../../../../src/main/export/onnx/graph'
import { encodeGraph, valueInfo } from '../../../../../src/main/training/engines/onnx/onnxModel'
import { addSegment, type SegmentGraph } from '../../../../../src/main/training/engines/onnx/segmentGraph'
import { mulberry32 } from '../../../../../src/main/util/random'
import { maxRelDiff } from '../../../../helpers/numeric'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

const randoms = (n: number, seed: number, lo: number, hi: number): Float32Array => {
  const rand = mulberry32(seed)
  return Float32Array.from({ length: n }, () => lo + rand() * (hi - lo))
}

/** conv -> BN -> ReLU6 -> depthwise -> BN -> ReLU, MobileNetV1's pattern, with random weights. */
function tinyModel(): tf.LayersModel {
  const input = tf.input({ shape: [6, 6, 4] })
  let y = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false, name: 'c1' }).apply(input) as tf.SymbolicTensor
  y = tf.layers.batchNormalization({ name: 'bn1' }).apply(y) as tf.SymbolicTensor
  y = tf.layers.reLU({ maxValue: 6, name: 'r1' }).apply(y) as tf.SymbolicTensor
  y = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, name: 'd1' }).apply(y) as tf.SymbolicTensor
  y = tf.layers.batchNormalization({ name: 'bn2' }).apply(y) as tf.SymbolicTensor
  y = tf.layers.reLU({ name: 'r2' }).apply(y) as tf.SymbolicTensor
  const model = tf.model({ inputs: input, outputs: y })
  model.setWeights(model.weights.map((w, i) => tf.tensor(randoms(w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 10 + i, /variance|gamma/.test(w.name) ? 0.5 : -0.6, /variance|gamma/.test(w.name) ? 1.5 : 0.6), w.shape as number[])))
  return model
}

async function inferenceSession(model: tf.LayersModel, asInputs: boolean): Promise<{ session: ort.InferenceSession; graph: SegmentGraph }> {
  const g = new GraphBuilder()
  const x = g.reserve('x')
  const graph = addSegment(g, model, x, { training: false, runningStatsAsInputs: asInputs })
  if (typeof graph === 'string') throw new Error(graph)
  const inputs = [valueInfo(x, ['N', 4, 6, 6]), ...graph.params.map((p) => valueInfo(p.name, p.shape))]
  for (const s of graph.runningStats) inputs.push(valueInfo(s.mean, [s.layer.nonTrainableWeights[0]!.shape[0]!]), valueInfo(s.variance, [s.layer.nonTrainableWeights[0]!.shape[0]!]))
  const y = g.node('Identity', [graph.output], {}, 'out', g.reserve('y'))
  const bytes = encodeGraph(g, 'segment_inference', inputs, [valueInfo(y, graph.outputShape)])
  return { session: await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, graphOptimizationLevel: 'all' }), graph }
}

/** The segment's inference output on ONNX Runtime, NCHW; the running statistics fed from the layers now. */
async function run(s: { session: ort.InferenceSession; graph: SegmentGraph }, xNchw: Float32Array, n: number): Promise<Float32Array> {
  const feeds: Record<string, ort.Tensor> = { x: new ort.Tensor('float32', xNchw, [n, 4, 6, 6]) }
  for (const p of s.graph.params) feeds[p.name] = new ort.Tensor('float32', p.toOnnx(p.variable.dataSync() as Float32Array), p.shape)
  for (const r of s.graph.runningStats) {
    const [mean, variance] = r.layer.nonTrainableWeights.map((w) => w.read().dataSync() as Float32Array)
    feeds[r.mean] = new ort.Tensor('float32', mean!.slice(), [mean!.length])
    feeds[r.variance] = new ort.Tensor('float32', variance!.slice(), [variance!.length])
  }
  const out = await s.session.run(feeds)
  return (out['y']!.data as Float32Array).slice()
}

describe('addSegment with runningStatsAsInputs', () => {
  it('computes what the graph with the statistics baked in computes, and follows new statistics without a rebuild', async () => {
    const model = tinyModel()
    const n = 3
    const xNhwc = randoms(n * 6 * 6 * 4, 2, -1, 1)
    const xNchw = tf.tidy(() => tf.transpose(tf.tensor4d(xNhwc, [n, 6, 6, 4]), [0, 3, 1, 2]).dataSync() as Float32Array)
    const baked = await inferenceSession(model, false)
    const fed = await inferenceSession(model, true)
    expect(baked.graph.runningStats).toEqual([])
    expect(fed.graph.runningStats.map((s) => s.layer.name)).toEqual(['bn1', 'bn2'])
    expect(await run(fed, xNchw, n)).toEqual(await run(baked, xNchw, n))

    // training moves the running statistics: the same session reads the new ones
    const norms = [model.getLayer('bn1'), model.getLayer('bn2')]
    norms.forEach((l, k) => {
      const [mean, variance] = l.nonTrainableWeights
      mean!.write(tf.tensor(randoms(mean!.shape[0]!, 50 + k, -0.5, 0.5)))
      variance!.write(tf.tensor(randoms(variance!.shape[0]!, 60 + k, 0.2, 2)))
    })
    const moved = await run(fed, xNchw, n)
    const expected = tf.tidy(() => tf.transpose(model.predict(tf.tensor4d(xNhwc, [n, 6, 6, 4])) as tf.Tensor4D, [0, 3, 1, 2]).dataSync() as Float32Array)
    expect(maxRelDiff(moved, expected)).toBeLessThan(1e-5)
    // while the baked graph still holds the old ones
    expect(maxRelDiff(await run(baked, xNchw, n), expected)).toBeGreaterThan(1e-2)
    await Promise.all([baked.session.release(), fed.session.release()])
    model.dispose()
  })
})
