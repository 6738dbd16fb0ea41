import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { orientationCosts } from '../../../../src/main/engine/kernels/batch_mat_mul'
import { initBackend } from '../../../../src/main/engine/backend'

beforeAll(async () => {
  await initBackend('wasm')
})

/** The same product on the cpu backend, from the same values. */
async function onCpu(a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean): Promise<Float32Array> {
  const [av, bv] = [await a.data(), await b.data()]
  await tf.setBackend('cpu')
  const out = tf.tidy(() => tf.matMul(tf.tensor(av, a.shape), tf.tensor(bv, b.shape), ta, tb).dataSync() as Float32Array)
  await tf.setBackend('wasm')
  return out
}

describe('wasm BatchMatMul with transposed operands', () => {
  const cases: [number[], number[], boolean, boolean][] = [
    [[32, 64], [32, 48], true, false], // dW = x^T dy
    [[8, 48], [64, 48], false, true], // dx = dy W^T: takes the swapped orientation
    [[5, 7], [3, 5], true, true],
    [[1, 9], [1, 4], true, false],
    [[2, 6, 5], [2, 6, 4], true, false], // batched
    [[3, 4, 6], [3, 5, 6], false, true],
    [[2, 5, 4], [2, 3, 5], true, true],
    [[4, 6], [9, 6], false, true]
  ]
  for (const [as, bs, ta, tb] of cases) {
    it(`matches cpu for [${as}]${ta ? 'ᵀ' : ''} x [${bs}]${tb ? 'ᵀ' : ''}`, async () => {
      const a = tf.randomNormal(as, 0, 1, 'float32', 1)
      const b = tf.randomNormal(bs, 0, 1, 'float32', 2)
      const before = tf.memory().numTensors
      const got = tf.tidy(() => tf.matMul(a, b, ta, tb).dataSync())
      expect(tf.memory().numTensors).toBe(before)
      const want = await onCpu(a, b, ta, tb)
      expect(got.length).toBe(want.length)
      got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4))
      tf.dispose([a, b])
    })
  }

  it('flows through gradients of a dense layer', () => {
    const x = tf.randomNormal([16, 40], 0, 1, 'float32', 3)
    const w = tf.randomNormal([40, 24], 0, 1, 'float32', 4)
    const [dx, dw] = tf.grads((xs: tf.Tensor, ws: tf.Tensor) => tf.sum(tf.square(tf.matMul(xs, ws))))([x, w])
    // analytic: d/dW sum((xW)^2) = 2 x^T (xW); d/dx = 2 (xW) W^T
    const y = tf.matMul(x, w)
    const wantDw = tf.mul(2, tf.matMul(tf.transpose(x), y)).dataSync()
    const wantDx = tf.mul(2, tf.matMul(y, tf.transpose(w))).dataSync()
    dw!.dataSync().forEach((v, i) => expect(v).toBeCloseTo(wantDw[i]!, 2))
    dx!.dataSync().forEach((v, i) => expect(v).toBeCloseTo(wantDx[i]!, 2))
  })

  it('chooses the orientation that copies less', () => {
    // dx = dy W^T with a large W: swapping avoids transposing and packing W
    const dx = orientationCosts([32, 512], [2560, 512], false, true)
    expect(dx.swapped).toBeLessThan(dx.direct)
    // dW = x^T dy: the direct product packs only dy
    const dw = orientationCosts([32, 2560], [32, 512], true, false)
    expect(dw.direct).toBeLessThan(dw.swapped)
  })
})
