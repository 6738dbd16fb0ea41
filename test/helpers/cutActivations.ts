// Real activations at a backbone's cut for the thawing-step tests: hymenoptera photos (ants and
// bees alternating, labels 0/1) through the frozen layers below the cut, in inference mode, as
// precompute caches them. Generated maps saturate ReLU6 layers and leave the head's batch norm
// with near-constant features, whose float noise says nothing about an engine.
import * as tf from '@tensorflow/tfjs'
import fs from 'node:fs'
import path from 'node:path'
import sharp from 'sharp'
import { buildSegment, resizeOptions, toInputBatch, type LoadedBackbone } from '../../src/main/backbones'
import { HYMENOPTERA } from './tmp'

/** `count` photos as the backbone's input [count, h, w, 3], and their labels. */
export async function photos(bb: LoadedBackbone, count: number): Promise<{ x: tf.Tensor4D; labels: number[] }> {
  const half = Math.ceil(count / 2)
  const files = ['ants', 'bees'].map((c) => fs.readdirSync(path.join(HYMENOPTERA, 'train', c)).sort().slice(0, half).map((f) => path.join(HYMENOPTERA, 'train', c, f)))
  const list = files[0]!.flatMap((a, i) => [a, files[1]![i]!]).slice(0, count)
  const decoded = await Promise.all(
    list.map(async (f) => {
      const { data, info } = await sharp(f).removeAlpha().resize(resizeOptions(bb.spec)).raw().toBuffer({ resolveWithObject: true })
      return { data: new Uint8Array(data), width: info.width, height: info.height }
    })
  )
  return { x: toInputBatch(decoded, bb.spec), labels: list.map((_, i) => i % 2) }
}

/** The activations of `x` at the output of layer `cut`, flat. */
export function activationsAt(bb: LoadedBackbone, cut: string, x: tf.Tensor4D): Float32Array {
  const below = buildSegment(bb.model, null, cut)
  const out = tf.tidy(() => (below.predict(x, { batchSize: 8 }) as tf.Tensor).dataSync() as Float32Array)
  below.dispose()
  return out
}
