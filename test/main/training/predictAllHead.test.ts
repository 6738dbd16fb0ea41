// predict --all from the cache runs only the fused network's layers after its pooling: as a model
// of their own (headModel), on ONNX Runtime once converted and checked like any frozen part.
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { beforeAll, describe, expect, it } from 'vitest'
import { FrozenForward } from '../../../src/main/engine/onnx/frozen'
import { buildHead } from '../../../src/main/training/head'
import { headModel } from '../../../src/main/training/predictAllTask'
import { mulberry32 } from '../../../src/main/util/random'

beforeAll(async () => {
  await tf.setBackend('wasm')
  await tf.ready()
})

/** A small network shaped like the fused classifier: features, concat pooling named
 * pool_concat, the studio's head, softmax. */
function fusedLike(): { net: tf.LayersModel; pooled: tf.LayersModel; head: tf.LayersModel } {
  const input = tf.input({ shape: [6, 6, 3] })
  const map = tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(input) as tf.SymbolicTensor
  const avg = tf.layers.globalAveragePooling2d({}).apply(map) as tf.SymbolicTensor
  const max = tf.layers.globalMaxPooling2d({}).apply(map) as tf.SymbolicTensor
  const pool = tf.layers.concatenate({ name: 'pool_concat' }).apply([avg, max]) as tf.SymbolicTensor
  const head = buildHead(32, 3, { seed: 5, hidden: 8 })
  let x = pool
  for (const layer of head.layers) if (layer.getClassName() !== 'InputLayer') x = layer.apply(x) as tf.SymbolicTensor
  const probs = tf.layers.softmax({}).apply(x) as tf.SymbolicTensor
  return { net: tf.model({ inputs: input, outputs: probs }), pooled: tf.model({ inputs: input, outputs: pool }), head }
}

describe('the head of a fused model, from pooled features', () => {
  it('computes what the whole network computes from the pooled features', () => {
    const { net, pooled } = fusedLike()
    const rand = mulberry32(1)
    const images = tf.tensor(Float32Array.from({ length: 5 * 6 * 6 * 3 }, () => rand() * 2 - 1), [5, 6, 6, 3])
    const features = pooled.predict(images) as tf.Tensor
    const head = headModel(net)
    const whole = (net.predict(images) as tf.Tensor).dataSync()
    const fromFeatures = (head.predict(features) as tf.Tensor).dataSync()
    for (let i = 0; i < whole.length; i++) expect(fromFeatures[i]).toBeCloseTo(whole[i]!, 6)
    tf.dispose([images, features])
    head.dispose()
  })

  it('gives the weights back: disposed before the network, it leaves no tensor behind', () => {
    const before = tf.memory().numTensors
    // a network whose layers only it uses, as a model loaded from its files
    const { net, head: built } = fusedLike()
    built.dispose()
    const made = tf.memory().numTensors - before
    expect(made).toBeGreaterThan(0)
    const head = headModel(net)
    head.dispose()
    expect(tf.memory().numTensors - before).toBe(made) // the network still holds its weights
    net.dispose()
    expect(tf.memory().numTensors).toBe(before)
  })

  it('runs on ONNX Runtime (converted, checked against TF.js) with the same probabilities', async () => {
    const { net } = fusedLike()
    const head = headModel(net)
    const rand = mulberry32(2)
    const x = Float32Array.from({ length: 9 * 32 }, () => rand() * 3)
    const f = new FrozenForward(head, { digest: 'b'.repeat(64), cut: 'pooled-head', opset: 13 }, { runtime: 'onnx', provider: 'cpu', threads: 1 }, { cache: null })
    const out = await f.run(x, [9, 32])
    expect(f.status()).toMatchObject({ runtime: 'onnx' })
    expect(out.shape).toEqual([9, 3])
    const ref = tf.tidy(() => (head.predict(tf.tensor(x, [9, 32])) as tf.Tensor).dataSync())
    for (let i = 0; i < ref.length; i++) expect(out.data[i]).toBeCloseTo(ref[i]!, 5)
    await f.release()
    head.dispose()
    net.dispose()
  })

  it('takes a network that is a head alone (pooled features in) as its own head', () => {
    const head = buildHead(32, 2, { seed: 1, hidden: 4 })
    expect(headModel(head)).toBe(head)
    head.dispose()
  })

  it('refuses a network without the pooling layer it starts from', () => {
    const input = tf.input({ shape: [4, 4, 3] })
    const net = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 2 }).apply(tf.layers.flatten().apply(input)) as tf.SymbolicTensor })
    expect(() => headModel(net)).toThrow(/no pooling layer named pool_concat/)
  })
})
