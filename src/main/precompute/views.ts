import * as tf from '@tensorflow/tfjs'
import type { BackboneSpec } from '../backbones'
import { resizeOptions, type RgbImage } from '../backbones/preprocess'
import { decodeForModel } from '../dataset/decode'
import { mulberry32, seedFrom } from '../util/random'

// Augmented views for precompute. View 0 is the plain image, decoded exactly as prediction
// decodes it. Views 1..K are random crops/zooms, flips and brightness/contrast changes, each a
// pure function of (image content hash, view number), so the cache key (hash, view) always names
// the same pixels and a resumed precompute makes the same views.

// AUGMENTATION (./augmentation.ts) names this recipe in the cache key: change it with the recipe.
export { AUGMENTATION } from './augmentation'

export interface ViewParams {
  flip: boolean
  /** normalized [y1, x1, y2, x2] of the crop in the (slightly larger) source image */
  box: [number, number, number, number]
  brightness: number
  contrast: number
}

export function viewParams(hash: string, view: number): ViewParams {
  const rand = mulberry32(seedFrom('view', hash, view))
  const area = 0.6 + 0.4 * rand()
  const logAspect = Math.log(0.75) + (Math.log(4 / 3) - Math.log(0.75)) * rand()
  const aspect = Math.exp(logAspect)
  const w = Math.min(1, Math.sqrt(area * aspect))
  const h = Math.min(1, Math.sqrt(area / aspect))
  const x1 = (1 - w) * rand()
  const y1 = (1 - h) * rand()
  return {
    flip: rand() < 0.5,
    box: [y1, x1, y1 + h, x1 + w],
    brightness: (rand() * 2 - 1) * 0.2,
    contrast: 1 + (rand() * 2 - 1) * 0.2
  }
}

/** Source images for augmented views are decoded a little larger, so a zoomed crop still has
 * real pixels rather than upsampled ones. */
const SOURCE_SCALE = 1.15

/** Decodes one view of an image at the backbone's input size. */
export async function decodeView(path: string, spec: Pick<BackboneSpec, 'inputSize' | 'preprocessing'>, hash: string, view: number): Promise<RgbImage> {
  const { width, height } = resizeOptions(spec)
  const fit = spec.preprocessing.resize
  if (view === 0) return { data: await decodeForModel(path, width, fit), width, height }
  const size = Math.round(width * SOURCE_SCALE)
  const source = await decodeForModel(path, size, fit)
  const p = viewParams(hash, view)
  const data = tf.tidy(() => {
    const img = tf.tensor4d(Float32Array.from(source), [1, size, size, 3])
    let x = tf.image.cropAndResize(img, tf.tensor2d([p.box]), tf.tensor1d([0], 'int32'), [height, width], 'bilinear')
    if (p.flip) x = tf.image.flipLeftRight(x)
    const mean = tf.mean(x)
    x = tf.add(tf.mul(tf.sub(x, mean), p.contrast), tf.add(mean, p.brightness * 255))
    return tf.clipByValue(tf.round(x), 0, 255).toInt().dataSync()
  })
  return { data: Uint8Array.from(data), width, height }
}
