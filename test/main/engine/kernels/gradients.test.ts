import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { describeCase, makeCase, type ConvCase } from './cases'
import { expectClose, expectNoLeak, randomTensor, seededRandom, useWasmWithTrainingKernels, type HostTensor } from './support'

beforeAll(useWasmWithTrainingKernels)

/**
 * Through tf.grads, so the kernels receive exactly the attrs tfjs-core's
 * Conv2D / DepthwiseConv2dNative gradient functions pass. Those functions
 * refuse dilation > 1 for both convs, so dilated kernels are only reachable by
 * direct kernel calls (covered in the per-kernel tests).
 */
function gradientCases(): Array<ConvCase & { depthwise: boolean }> {
  const random = seededRandom(23)
  const cases: Array<ConvCase & { depthwise: boolean }> = []
  for (const k of [1, 3, 5]) {
    for (const s of [1, 2]) {
      for (const pad of ['same', 'valid', 'explicit'] as const) {
        cases.push({ ...makeCase(random, { kernel: [k, k], strides: [s, s], pad, depthwise: false }), depthwise: false })
        const multiplier = s === 1 ? 1 : 2
        cases.push({ ...makeCase(random, { kernel: [k, k], strides: [s, s], pad, depthwise: true, multiplier }), depthwise: true })
      }
    }
  }
  return cases
}

async function gradients(backend: 'cpu' | 'wasm', c: ConvCase & { depthwise: boolean }, x: HostTensor, filter: HostTensor, weights: HostTensor) {
  await tf.setBackend(backend)
  return expectNoLeak(`grads on ${backend}`, () =>
    tf.tidy(() => {
      const pad = c.pad as Parameters<typeof tf.conv2d>[3]
      const loss = (...args: tf.Tensor[]) => {
        const [xt, ft] = args as [tf.Tensor4D, tf.Tensor4D]
        const y = c.depthwise
          ? tf.depthwiseConv2d(xt, ft, c.strides, pad)
          : tf.conv2d(xt, ft, c.strides, pad)
        return tf.sum(tf.mul(y, tf.tensor(weights.data, y.shape)))
      }
      const [dx, df] = tf.grads(loss)([tf.tensor4d(x.data, x.shape as never), tf.tensor4d(filter.data, filter.shape as never)])
      return {
        dx: { shape: dx!.shape, data: dx!.dataSync() as Float32Array },
        dFilter: { shape: df!.shape, data: df!.dataSync() as Float32Array }
      }
    })
  )
}

describe('tf.grads of conv2d / depthwiseConv2d on wasm match cpu', () => {
  const cases = gradientCases()
  it.each(cases.map((c, i) => [`${c.depthwise ? 'depthwise' : 'conv2d'} ${describeCase(c)}`, c, i] as const))(
    '%s',
    async (name, c, i) => {
      const random = seededRandom(500 + i)
      const x = randomTensor(random, c.x)
      const filter = randomTensor(random, c.filter)
      const weights = randomTensor(random, c.dy)
      const expected = await gradients('cpu', c, x, filter, weights)
      const actual = await gradients('wasm', c, x, filter, weights)
      expectClose(actual.dx, expected.dx, `dx ${name}`)
      expectClose(actual.dFilter, expected.dFilter, `dFilter ${name}`)
    }
  )

  it('inherits tfjs-core refusing gradients of dilated convs, on every backend', async () => {
    await tf.setBackend('wasm')
    const x = tf.ones([1, 5, 5, 1]) as tf.Tensor4D
    const f = tf.ones([3, 3, 1, 1]) as tf.Tensor4D
    expect(() => tf.grad((t) => tf.conv2d(t as tf.Tensor4D, f, 1, 'same', 'NHWC', 2))(x)).toThrow(/dilation rates greater than 1/)
    expect(() => tf.grad((t) => tf.depthwiseConv2d(t as tf.Tensor4D, f, 1, 'same', 'NHWC', 2))(x)).toThrow(
      /dilation rates greater than 1/
    )
    tf.dispose([x, f])
  })
})
