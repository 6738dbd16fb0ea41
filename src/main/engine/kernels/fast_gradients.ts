import * as tf from '@tensorflow/tfjs'
import type { GradConfig } from '@tensorflow/tfjs'

// The wasm backend's elementwise comparisons and broadcasting selects run far below memory speed
// (about 10 ms each on a 7x7x1280 batch of 32, measured), and some gradients chain four of them.
// These gradients do the same arithmetic in one pass of plain JS over the data, which costs a
// few milliseconds. They apply on the wasm backend only; elsewhere the original gradient runs,
// since reading data back from a GPU would cost more than it saves.

const onWasm = (): boolean => tf.getBackend() === 'wasm'

/** ClipByValue (what a ReLU6 layer is made of): dy where min <= x <= max, else 0. */
function clipGradient(original: GradConfig): GradConfig {
  return {
    kernelName: 'ClipByValue',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      if (!onWasm()) return original.gradFunc(dy, saved, attrs)
      const [x] = saved as tf.Tensor[]
      const { clipValueMin: lo, clipValueMax: hi } = attrs as unknown as { clipValueMin: number; clipValueMax: number }
      return {
        x: () => {
          const xs = x!.dataSync()
          const g = (dy as tf.Tensor).dataSync()
          const out = new Float32Array(xs.length)
          for (let i = 0; i < xs.length; i++) {
            const v = xs[i]!
            out[i] = v >= lo && v <= hi ? g[i]! : 0
          }
          return tf.tensor(out, x!.shape, 'float32')
        }
      }
    }
  }
}

let installed = false

/** Installs the fast gradients once; safe to call again. */
export function installFastGradients(): void {
  if (installed) return
  const clip = tf.getGradient('ClipByValue')
  if (clip) tf.registerGradient(clipGradient(clip))
  installed = true
}

/**
 * Concat pooling of a feature map [n, h, w, c] -> [n, 2c] (average, then max, over space), with
 * its gradient in one pass of JS on wasm: tfjs' gradient of max goes through a broadcast Equal
 * that took 280 ms per step on a 7x7x1280 batch. The max gradient goes to the first position
 * holding the maximum, as PyTorch's adaptive max pooling does.
 */
export const concatPoolWithGradient = tf.customGrad((...args: unknown[]) => {
  const [x, save] = args as [tf.Tensor4D, (tensors: tf.Tensor[]) => void]
  save([x])
  const value = tf.concat([tf.mean(x, [1, 2]), tf.max(x, [1, 2])], 1)
  const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor => {
    const [n, h, w, c] = x.shape
    if (!onWasm()) {
      // the original formulation: mean spreads dy/(h*w), max sends dy to every maximum
      const [dAvg, dMax] = tf.split(dy, 2, 1)
      const avg = tf.div(tf.reshape(dAvg!, [n, 1, 1, c]), h * w)
      const mask = tf.cast(tf.equal(saved[0]!, tf.max(saved[0]!, [1, 2], true)), 'float32')
      return tf.add(avg, tf.mul(mask, tf.reshape(dMax!, [n, 1, 1, c])))
    }
    const xs = saved[0]!.dataSync()
    const g = dy.dataSync()
    const hw = h * w
    const out = new Float32Array(xs.length)
    const best = new Float32Array(c)
    const at = new Int32Array(c)
    for (let b = 0; b < n; b++) {
      const base = b * hw * c
      best.fill(-Infinity)
      for (let p = 0; p < hw; p++) {
        const row = base + p * c
        for (let ch = 0; ch < c; ch++) {
          const v = xs[row + ch]!
          if (v > best[ch]!) {
            best[ch] = v
            at[ch] = row + ch
          }
          out[row + ch] = g[b * 2 * c + ch]! / hw
        }
      }
      for (let ch = 0; ch < c; ch++) out[at[ch]!]! += g[b * 2 * c + c + ch]!
    }
    return tf.tensor(out, x.shape, 'float32')
  }
  return { value, gradFunc }
}) as (x: tf.Tensor4D) => tf.Tensor2D

