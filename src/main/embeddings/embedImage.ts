// Runs in an engine worker: the embedding of an image that is not in the cache (a picture from
// outside the project), computed by the same frozen forward precompute uses, so it is
// comparable with the cached rows.
import { resizeOptions, toInputArray } from '../backbones/preprocess'
import { decodeForModel } from '../dataset/decode'
import { ThawError } from '../errors'
import { featureSource } from '../engine/runtime'
import type { ActivationSetKey } from '../precompute/activationStore'

/** Decodes an image with the guarded decoder (pixel limit, damaged files refused) and runs the
 * backbone to the cached layer, pooled as the cache is. */
export async function embedImage(key: ActivationSetKey, input: string | Uint8Array): Promise<Float32Array> {
  const bb = await featureSource(key.backbone)
  if (bb.sha256 !== key.backboneSha256) {
    throw new ThawError('STALE_CACHE', `the ${bb.spec.id} weights changed since the cache was built: run precompute again`)
  }
  const { width, height } = resizeOptions(bb.spec)
  let data: Uint8Array
  try {
    data = await decodeForModel(input, width, bb.spec.preprocessing.resize)
  } catch (err) {
    const what = typeof input === 'string' ? input : 'the image'
    throw new ThawError('BAD_IMAGE', `cannot read ${what}: ${(err as Error).message}`)
  }
  const batch = toInputArray([{ data, width, height }], bb.spec)
  const out = await bb.frozen(key.layer, key.reduce).run(batch.data, batch.shape)
  return Float32Array.from(out.data)
}
