// "Proven equal": the bundle, loaded from its files by its own runtime, against the studio's own
// model, on the project's validation images. Each image is decoded once by the studio's decoder
// and the same tensor goes to both, so the check measures the model files, not two decoders.
import { ThawError } from '../errors'
import * as tf from '@tensorflow/tfjs'
import type { ExportCheck } from '../../shared/export'
import type { FileProblem } from '../../shared/types'
import { decodeForModel, type Fit } from '../dataset/decode'
import { argmax } from '../training/metrics'
import type { BundleRunner } from './runner'

export const TOLERANCE = 1e-4
const BATCH = 16

/** The studio's side of the check: what the studio itself predicts for pixels. */
export interface StudioPredictor {
  /** probabilities [n, classes] for n images laid out [n, h, w, 3], float32 RGB 0..255 */
  run(inputs: Float32Array, n: number): Promise<Float32Array>
  /** what runs it, for the report */
  readonly runtime: string
}

/** A fused TF.js network (fuse.ts's fuseModel), the studio's model for built-in backbones. */
export function layersPredictor(model: tf.LayersModel, [height, width]: readonly [number, number]): StudioPredictor {
  return {
    runtime: `TF.js ${tf.version_core} (${tf.getBackend()} backend), the project's model`,
    run: async (inputs, n) => tf.tidy(() => (model.predict(tf.tensor4d(inputs, [n, height, width, 3])) as tf.Tensor).dataSync() as Float32Array)
  }
}

export interface CheckImage {
  path: string
  label: number
}

export interface CheckOptions {
  size: number
  fit: Fit
  tolerance?: number
  signal?: AbortSignal
  onProgress?: (done: number, total: number) => void
}

export interface CheckOutcome {
  check: ExportCheck
  /** the studio's probabilities for the compared images, [compared, classes] */
  probs: Float32Array
  /** labels of the compared images, in the same order */
  labels: number[]
}

async function decodeBatch(images: CheckImage[], size: number, fit: Fit, skipped: FileProblem[]): Promise<{ inputs: Float32Array; kept: CheckImage[] }> {
  const per = size * size * 3
  const pixels: Uint8Array[] = []
  const kept: CheckImage[] = []
  for (const img of images) {
    try {
      pixels.push(await decodeForModel(img.path, size, fit))
      kept.push(img)
    } catch (err) {
      skipped.push({ path: img.path, reason: (err as Error).message })
    }
  }
  const inputs = new Float32Array(kept.length * per)
  pixels.forEach((p, i) => inputs.set(p, i * per))
  return { inputs, kept }
}

export async function checkBundle(studio: StudioPredictor, bundle: BundleRunner, images: CheckImage[], opts: CheckOptions): Promise<CheckOutcome> {
  const started = Date.now()
  const tolerance = opts.tolerance ?? TOLERANCE
  const k = bundle.meta.labels.length
  const skipped: FileProblem[] = []
  const probs: number[] = []
  const labels: number[] = []
  let maxAbsDiff = 0
  let top1Agree = 0
  for (let at = 0; at < images.length; at += BATCH) {
    if (opts.signal?.aborted) throw new ThawError('CANCELLED', 'export was cancelled')
    const { inputs, kept } = await decodeBatch(images.slice(at, at + BATCH), opts.size, opts.fit, skipped)
    if (kept.length) {
      const n = kept.length
      const expected = await studio.run(inputs, n)
      const got = await bundle.run(inputs, n)
      if (got.length !== expected.length) throw new ThawError('EXPORT_CHECK_FAILED', `the bundle returned ${got.length} values for ${n} images, the studio ${expected.length}`)
      for (let i = 0; i < got.length; i++) {
        const d = Math.abs(got[i]! - expected[i]!)
        maxAbsDiff = Number.isNaN(d) ? Infinity : Math.max(maxAbsDiff, d)
      }
      for (let r = 0; r < n; r++) {
        if (argmax(got.subarray(r * k, (r + 1) * k)) === argmax(expected.subarray(r * k, (r + 1) * k))) top1Agree++
      }
      probs.push(...expected)
      labels.push(...kept.map((img) => img.label))
    }
    opts.onProgress?.(Math.min(at + BATCH, images.length), images.length)
  }
  const compared = labels.length
  const check: ExportCheck = {
    images: compared,
    skipped,
    maxAbsDiff,
    tolerance,
    top1Agree,
    passed: compared > 0 && maxAbsDiff <= tolerance && top1Agree === compared,
    studioRuntime: studio.runtime,
    bundleRuntime: bundle.runtime,
    ms: Date.now() - started
  }
  return { check, probs: Float32Array.from(probs), labels }
}
