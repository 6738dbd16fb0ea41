import * as tf from '@tensorflow/tfjs'
import * as ort from 'onnxruntime-node'
import { beforeAll, describe, expect, it } from 'vitest'
import { GraphBuilder } from '../../../../../src/main/export/onnx/graph'
import { DataType, encodeModel, type ValueInfo } from '../../../../../src/main/export/onnx/onnxProto'
import { depthwise, frozenBatchNorm, pointwise, relu6, samePads, swapBatchAndChannels } from '../../../../../src/main/training/engines/onnx/convGradients'
import { mulberry32 } from '../../../../../src/main/util/random'
import { maxRelDiff } from '../../../../helpers/numeric'

const randoms = (n: number, seed: number, scale = 1, offset = 0): Float32Array => {
  const rand = mulberry32(seed)
  return Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale + offset)
}
const vi = (name: string, dims: number[]): ValueInfo => ({ name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } })

beforeAll(async () => {
  await tf.setBackend('cpu') // the reference: TF.js's plain JavaScript kernels
})

/** One inverted-residual chain (in CNHW, between transposes from and to the test's NCHW): 1x1 expand, frozen batch norm, ReLU6, depthwise 3x3, ReLU6, 1x1
 * project; loss = sum(y * r), so d(loss)/d(y) = r. */
describe.each([1, 2])('the backward of an inverted-residual chain, depthwise stride %i', (stride) => {
  it('gives the gradients TF.js autodiff gives, for the input and every weight', async () => {
    const [n, c, h, w, e, out, k, eps] = [2, 3, 7, 7, 5, 4, 3, 1e-3]
    const [padTop, padBottom] = samePads(h, k, stride)
    const [padLeft, padRight] = samePads(w, k, stride)
    const ho = Math.ceil(h / stride)
    const wo = Math.ceil(w / stride)
    const values = {
      x: randoms(n * c * h * w, 1, 2),
      k1: randoms(e * c, 2),
      gamma: randoms(e, 3, 1, 2.5), // large enough that some activations pass 6
      beta: randoms(e, 4, 1),
      mean: randoms(e, 5, 0.3),
      variance: randoms(e, 6, 0.2, 0.6),
      k2: randoms(e * k * k, 7),
      k3: randoms(out * e, 8),
      r: randoms(n * out * ho * wo, 9)
    }
    const shapes: Record<keyof typeof values, number[]> = {
      x: [n, c, h, w],
      k1: [e, c],
      gamma: [e],
      beta: [e],
      mean: [e],
      variance: [e],
      k2: [e, 1, k, k],
      k3: [out, e],
      r: [n, out, ho, wo]
    }

    const g = new GraphBuilder()
    for (const name of Object.keys(values)) g.reserve(name)
    // the blocks work in CNHW: the test's values are NCHW
    const expand = pointwise(g, 'expand', swapBatchAndChannels(g, 'in', 'x'), 'k1', null, { cin: c, cout: e, h, w })
    const bn = frozenBatchNorm(g, 'bn', expand.y, { gamma: 'gamma', beta: 'beta', mean: 'mean', variance: 'variance', epsilon: eps, c: e })
    const act1 = relu6(g, 'act1', bn.y)
    const dw = depthwise(g, 'dw', act1.y, 'k2', null, { c: e, h, w, kh: k, kw: k, sh: stride, sw: stride, pads: [padTop, padLeft, padBottom, padRight] })
    const act2 = relu6(g, 'act2', dw.y)
    const project = pointwise(g, 'project', act2.y, 'k3', null, { cin: e, cout: out, h: ho, w: wo })
    const p = project.backward(swapBatchAndChannels(g, 'in', 'r'))
    const d = dw.backward(act2.backward(p.dx()))
    const b = bn.backward(act1.backward(d.dx()))
    const x = expand.backward(b.dx())
    const outputs = { y: swapBatchAndChannels(g, 'out', project.y), dx: swapBatchAndChannels(g, 'out', x.dx()), dk1: x.dkernel(), dgamma: b.dgamma(), dbeta: b.dbeta(), dk2: d.dkernel(), dk3: p.dkernel() }
    const outShapes: Record<keyof typeof outputs, number[]> = { y: [n, out, ho, wo], dx: shapes.x, dk1: shapes.k1, dgamma: [e], dbeta: [e], dk2: shapes.k2, dk3: shapes.k3 }
    for (const [name, value] of Object.entries(outputs)) g.node('Identity', [value], {}, 'out', g.reserve(`out_${name}`))
    const model = encodeModel({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      producerName: 'test',
      graph: {
        name: 'chain',
        node: g.nodes,
        initializer: g.initializers,
        input: Object.keys(values).map((name) => vi(name, shapes[name as keyof typeof values])),
        output: Object.keys(outputs).map((name) => vi(`out_${name}`, outShapes[name as keyof typeof outputs]))
      }
    })
    const session = await ort.InferenceSession.create(model)
    const feeds = Object.fromEntries(Object.entries(values).map(([name, data]) => [name, new ort.Tensor('float32', data, shapes[name as keyof typeof values])]))
    const got = await session.run(feeds)
    await session.release()

    // the same chain in TF.js, NHWC and its kernel layouts
    const before = tf.memory().numTensors
    const ref = tf.tidy(() => {
      const toNhwc = (v: Float32Array, s: number[]) => tf.transpose(tf.tensor4d(v, s as [number, number, number, number]), [0, 2, 3, 1])
      const xT = toNhwc(values.x, shapes.x)
      const k1T = tf.transpose(tf.tensor2d(values.k1, [e, c])).reshape([1, 1, c, e]) as tf.Tensor4D
      const k2T = tf.transpose(tf.tensor4d(values.k2, [e, 1, k, k]), [2, 3, 0, 1]) as tf.Tensor4D
      const k3T = tf.transpose(tf.tensor2d(values.k3, [out, e])).reshape([1, 1, e, out]) as tf.Tensor4D
      const [gamma, beta, mean, variance] = [values.gamma, values.beta, values.mean, values.variance].map((v) => tf.tensor1d(v))
      const rT = toNhwc(values.r, shapes.r)
      const forward = (xi: tf.Tensor, a: tf.Tensor, ga: tf.Tensor, be: tf.Tensor, bk: tf.Tensor, ck: tf.Tensor): tf.Tensor => {
        const expanded = tf.relu6(tf.batchNorm(tf.conv2d(xi as tf.Tensor4D, a as tf.Tensor4D, 1, 'same'), mean!, variance!, be, ga, eps)) as tf.Tensor4D
        const filtered = tf.relu6(tf.depthwiseConv2d(expanded, bk as tf.Tensor4D, stride, 'same'))
        return tf.conv2d(filtered, ck as tf.Tensor4D, 1, 'same')
      }
      const y = forward(xT, k1T, gamma!, beta!, k2T, k3T)
      const grads = tf.grads((xi, a, ga, be, bk, ck) => tf.sum(tf.mul(forward(xi!, a!, ga!, be!, bk!, ck!), rT)))([xT, k1T, gamma!, beta!, k2T, k3T])
      const [dx, dk1, dgamma, dbeta, dk2, dk3] = grads as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]
      // how many activations the clip at 6 and at 0 stopped: both gradient cut-offs are exercised
      const pre = tf.batchNorm(tf.conv2d(xT, k1T, 1, 'same'), mean!, variance!, beta!, gamma!, eps)
      return {
        clipped: [tf.sum(tf.greater(pre, 6)).dataSync()[0]!, tf.sum(tf.less(pre, 0)).dataSync()[0]!],
        y: tf.transpose(y, [0, 3, 1, 2]).dataSync(),
        dx: tf.transpose(dx, [0, 3, 1, 2]).dataSync(),
        dk1: tf.transpose(dk1.reshape([c, e])).dataSync(),
        dgamma: dgamma.dataSync(),
        dbeta: dbeta.dataSync(),
        dk2: tf.transpose(dk2, [2, 3, 0, 1]).dataSync(),
        dk3: tf.transpose(dk3.reshape([e, out])).dataSync()
      }
    })
    expect(tf.memory().numTensors).toBe(before)
    expect(ref.clipped[0]).toBeGreaterThan(0)
    expect(ref.clipped[1]).toBeGreaterThan(0)
    for (const name of Object.keys(outputs) as (keyof typeof outputs)[]) {
      const mine = got[`out_${name}`]!
      expect(mine.data.length, name).toBe(ref[name].length)
      expect(maxRelDiff(mine.data as Float32Array, ref[name]), name).toBeLessThan(1e-4)
    }
  })
})
