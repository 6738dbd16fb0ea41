import * as tf from '@tensorflow/tfjs'
import { concatPoolWithGradient } from '../engine/kernels/fast_gradients'
import { dropoutMask } from './dropout'
import { headEngine } from './engines'
import type { Trainable } from './step'

export const HEAD_PREFIX = 'head_'
export const LOGITS_LAYER = `${HEAD_PREFIX}logits`

export interface HeadOptions {
  hidden?: number
  /** seeds the initial weights, so a run is a function of its seed */
  seed?: number
  /** fastai's ps: the first dropout uses half of it */
  dropout?: number
}

/** fastai's head over concat-pooled features: BN, dropout, dense + ReLU, BN, dropout, dense.
 * With 2 classes over a 512-channel map this is the seed's 1024 -> 512 -> 2. Outputs logits;
 * the softmax is added when the model is fused for export. */
export function buildHead(featureDim: number, classes: number, opts: HeadOptions = {}): tf.LayersModel {
  const hidden = opts.hidden ?? 512
  const p = opts.dropout ?? 0.5
  // BN momentum 0.9 (PyTorch's 0.1): a head sees only tens of batches, and Keras' default 0.99
  // would leave its running statistics near their initial values
  const bn = (name: string): tf.layers.Layer => tf.layers.batchNormalization({ name: HEAD_PREFIX + name, momentum: 0.9, epsilon: 1e-5 })
  const input = tf.input({ shape: [featureDim], name: `${HEAD_PREFIX}input` })
  let x = bn('bn1').apply(input) as tf.SymbolicTensor
  x = tf.layers.dropout({ rate: p / 2, name: `${HEAD_PREFIX}drop1` }).apply(x) as tf.SymbolicTensor
  const seed = opts.seed ?? 0
  x = tf.layers
    .dense({ units: hidden, activation: 'relu', name: `${HEAD_PREFIX}fc1`, kernelInitializer: tf.initializers.heNormal({ seed: initializerSeed(seed) }) })
    .apply(x) as tf.SymbolicTensor
  x = bn('bn2').apply(x) as tf.SymbolicTensor
  x = tf.layers.dropout({ rate: p, name: `${HEAD_PREFIX}drop2` }).apply(x) as tf.SymbolicTensor
  const logits = tf.layers
    .dense({ units: classes, name: LOGITS_LAYER, kernelInitializer: tf.initializers.glorotUniform({ seed: initializerSeed(seed + 1) }) })
    .apply(x) as tf.SymbolicTensor
  return tf.model({ inputs: input, outputs: logits, name: 'head' })
}

/** tfjs-core's random initializers take a seed of 0 for no seed (Math.random): 0 gets a fixed
 * stand-in, so that every seed, 0 included (the default), gives the same weights every time. */
export const initializerSeed = (seed: number): number => (seed === 0 ? 0x5eed : seed)

/** Concat pooling of a feature map [n, h, w, c] -> [n, 2c]: average then max over space (with
 * a gradient that is fast on wasm). */
export function concatPool(map: tf.Tensor4D): tf.Tensor2D {
  return concatPoolWithGradient(map)
}

/** Runs the head's layers in order. In training, dropout draws from `seed` so that a resumed run
 * makes the same masks as an unbroken one (tfjs' own Dropout layer cannot be seeded per step). */
export function applyHead(head: tf.LayersModel, x: tf.Tensor, training: boolean, seed: number): tf.Tensor2D {
  let y = x
  let k = 0
  for (const layer of head.layers) {
    if (layer.getClassName() === 'InputLayer') continue
    if (layer.getClassName() === 'Dropout') {
      const rate = (layer.getConfig() as { rate: number }).rate
      if (training && rate > 0) {
        const [rows, width] = y.shape as [number, number]
        const mask = tf.tensor2d(dropoutMask(rows, width, rate, seed + k++), [rows, width])
        y = tf.mul(y, mask)
        mask.dispose() // mul keeps what its gradient needs
      }
      continue
    }
    y = layer.apply(y, { training }) as tf.Tensor
  }
  return y as tf.Tensor2D
}

/** The variables a layer trains, as the tf.Variables the optimizers update. */
export function trainableVars(layers: readonly tf.layers.Layer[]): tf.Variable[] {
  return layers.flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable))
}

/** Head only: the trainable part is the head, fed pooled features. `threads`: what its native
 * engine may use (every core by default). */
export function headTrainable(head: tf.LayersModel, opts: { threads?: number } = {}): Trainable {
  return {
    forward: (x, training, seed) => applyHead(head, x, training, seed),
    groups: [{ name: 'head', vars: trainableVars(head.layers) }],
    fast: headEngine(head, opts)
  }
}
