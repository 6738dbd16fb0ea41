import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import * as ort from 'onnxruntime-node'
import { afterAll, describe, expect, it } from 'vitest'
import { GraphBuilder } from '../../../../../src/main/export/onnx/graph'
import { installFastGradients } from '../../../../../src/main/engine/kernels/fast_gradients'
import { addConcatPool } from '../../../../../src/main/training/engines/onnx/concatPoolGraph'
import { encodeGraph, valueInfo } from '../../../../../src/main/training/engines/onnx/onnxModel'
import { concatPool } from '../../../../../src/main/training/head'
import { mulberry32 } from '../../../../../src/main/util/random'
import { maxRelDiff } from '../../../../helpers/numeric'

const [n, h, w, c] = [3, 4, 5, 6]

/** The pooling and its backward alone: x NCHW and d(pooled) in; pooled and dx out. */
async function poolSession(): Promise<ort.InferenceSession> {
  const g = new GraphBuilder()
  g.reserve('x')
  g.reserve('dy')
  const pool = addConcatPool(g, 'x', { c, h, w })
  const y = g.node('Identity', [pool.pooled], {}, 'out', g.reserve('y'))
  const dx = g.node('Identity', [pool.backward('dy')], {}, 'out', g.reserve('dx'))
  const model = encodeGraph(g, 'pool', [valueInfo('x', ['N', c, h, w]), valueInfo('dy', ['N', 2 * c])], [valueInfo(y, ['N', 2 * c]), valueInfo(dx, ['N', c, h, w])])
  return ort.InferenceSession.create(model)
}

const toNchw = (t: tf.Tensor): Float32Array => tf.tidy(() => tf.transpose(t, [0, 3, 1, 2]).dataSync() as Float32Array)

/** TF.js's concat pooling and its gradient for dy, on the active backend, NCHW out. */
function reference(x: tf.Tensor4D, dy: tf.Tensor2D): { y: Float32Array; dx: Float32Array } {
  const y = tf.tidy(() => concatPool(x).dataSync() as Float32Array)
  const dx = tf.tidy(() => toNchw(tf.grad((v: tf.Tensor) => tf.sum(tf.mul(concatPool(v as tf.Tensor4D), dy)))(x)))
  return { y, dx }
}

afterAll(async () => {
  await tf.setBackend('cpu')
})

describe('concat pooling in the ONNX step', () => {
  it('pools and back-propagates as TF.js does (cpu: autodiff of mean and max)', async () => {
    await tf.setBackend('cpu')
    const rand = mulberry32(3)
    const x = tf.tensor4d(Float32Array.from({ length: n * h * w * c }, () => rand() * 4 - 2), [n, h, w, c])
    const dy = tf.tensor2d(Float32Array.from({ length: n * 2 * c }, () => rand() * 2 - 1), [n, 2 * c])
    const ref = reference(x, dy)
    const session = await poolSession()
    const out = await session.run({ x: new ort.Tensor('float32', toNchw(x), [n, c, h, w]), dy: new ort.Tensor('float32', dy.dataSync() as Float32Array, [n, 2 * c]) })
    expect(maxRelDiff(out.y!.data as Float32Array, ref.y)).toBeLessThan(1e-6)
    expect(maxRelDiff(out.dx!.data as Float32Array, ref.dx)).toBeLessThan(1e-6)
    await session.release()
    tf.dispose([x, dy])
  })

  it('sends the max gradient to the first of tied maxima, as the wasm path does', async () => {
    await tf.setBackend('wasm')
    installFastGradients()
    // whole rows of equal values (a clipped ReLU6 map): every position ties
    const values = new Float32Array(n * h * w * c)
    for (let i = 0; i < values.length; i++) values[i] = i % c === 0 ? 6 : (i % 7) / 7
    const x = tf.tensor4d(values, [n, h, w, c])
    const rand = mulberry32(4)
    const dy = tf.tensor2d(Float32Array.from({ length: n * 2 * c }, () => rand() * 2 - 1), [n, 2 * c])
    const ref = reference(x, dy)
    const session = await poolSession()
    const out = await session.run({ x: new ort.Tensor('float32', toNchw(x), [n, c, h, w]), dy: new ort.Tensor('float32', dy.dataSync() as Float32Array, [n, 2 * c]) })
    expect(maxRelDiff(out.dx!.data as Float32Array, ref.dx)).toBeLessThan(1e-6)
    await session.release()
    tf.dispose([x, dy])
  })
})
