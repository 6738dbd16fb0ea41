import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src/main/engine/backend'
import { concatPoolWithGradient } from '../../../../src/main/engine/kernels/fast_gradients'

beforeAll(async () => {
  await initBackend('wasm') // installs the fast gradients
})

/** Gradient of sum(f(x) * weights) on a backend, from the same values. */
async function gradOn(backend: string, f: (x: tf.Tensor) => tf.Tensor, x: Float32Array, shape: number[], weights: Float32Array, wShape: number[]) {
  await tf.setBackend(backend)
  const before = tf.memory().numTensors
  const g = tf.tidy(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), tf.tensor(weights, wShape))))(tf.tensor(x, shape)).dataSync())
  const leaked = tf.memory().numTensors - before
  await tf.setBackend('wasm')
  return { g, leaked }
}

const random = (n: number, seed: number) => tf.tidy(() => tf.randomUniform([n], -3, 9, 'float32', seed).dataSync() as Float32Array)

describe('fast gradients on wasm', () => {
  it('ReLU6 (clipByValue) matches the cpu gradient', async () => {
    const shape = [4, 5, 5, 7]
    const x = random(4 * 5 * 5 * 7, 1)
    x[0] = 0 // the edges count as inside, as tfjs' own gradient has it
    x[1] = 6
    const w = random(x.length, 2)
    const f = (a: tf.Tensor) => tf.clipByValue(tf.relu(a), 0, 6)
    const wasm = await gradOn('wasm', f, x, shape, w, shape)
    const cpu = await gradOn('cpu', f, x, shape, w, shape)
    expect(wasm.leaked).toBe(0)
    expect(Array.from(wasm.g)).toEqual(Array.from(cpu.g))
  })

  it('concat pooling matches the cpu gradient (no ties)', async () => {
    const shape = [3, 4, 5, 6]
    const x = random(3 * 4 * 5 * 6, 3)
    const w = random(3 * 12, 4)
    const f = (a: tf.Tensor) => concatPoolWithGradient(a as tf.Tensor4D)
    const wasm = await gradOn('wasm', f, x, shape, w, [3, 12])
    const cpu = await gradOn('cpu', f, x, shape, w, [3, 12])
    expect(wasm.leaked).toBe(0)
    wasm.g.forEach((v, i) => expect(v).toBeCloseTo(cpu.g[i]!, 5))
  })

  it('concat pooling gives [avg, max] over space', () => {
    const x = tf.tensor4d([1, 5, 3, -2], [1, 2, 2, 1])
    expect(Array.from(concatPoolWithGradient(x).dataSync())).toEqual([1.75, 5])
  })

  it('sends the max gradient to one of tied positions only', () => {
    const x = tf.tensor4d([2, 2, 1, 0], [1, 2, 2, 1])
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.slice(concatPoolWithGradient(a as tf.Tensor4D), [0, 1], [1, 1])))(x).dataSync()
    expect(Array.from(g)).toEqual([1, 0, 0, 0])
  })
})
