import { envMegabytes } from '../../util/envMegabytes'
import os from 'node:os'
import type { RgbImage } from '../../backbones/preprocess'

/** Memory decoded pixels may hold: 1/16 of the machine's memory, at most 1 GB (512 MB on an
 * 8 GB laptop: ~3,400 images at 224 px). THAW_DECODED_VIEWS_MB (megabytes of 1e6 bytes) overrides it (0: decode every
 * epoch, as before). */
export function decodedViewsBudget(total = os.totalmem(), env = process.env.THAW_DECODED_VIEWS_MB): number {
  return envMegabytes('THAW_DECODED_VIEWS_MB', env, { zero: true }) ?? Math.min(1024 ** 3, Math.floor(total / 16))
}

/** Decoded views of a stage's images, kept across its epochs: a view is a pure function of the
 * image's content and the view number (precompute/views.ts), so an epoch that picks it again gets
 * the same pixels without decoding the file again. Holds views until `budget` bytes are used;
 * the views past it are decoded every time they are asked for, as before. */
export class DecodedViews {
  private readonly held = new Map<string, Promise<RgbImage>>()
  private bytes = 0
  /** decodes run, views served from memory (the bench and the tests read them) */
  readonly counts = { decoded: 0, reused: 0 }

  constructor(private readonly budget = decodedViewsBudget()) {}

  get(hash: string, view: number, decode: () => Promise<RgbImage>): Promise<RgbImage> {
    const key = `${hash}:${view}`
    const held = this.held.get(key)
    if (held) {
      this.counts.reused++
      return held
    }
    this.counts.decoded++
    const made = decode()
    if (this.bytes >= this.budget) return made
    this.held.set(key, made)
    made.then(
      (image) => {
        this.bytes += image.data.length
      },
      // a failed decode is not kept: the next epoch tries the file again and says why
      () => void this.held.delete(key)
    )
    return made
  }

  /** bytes of pixels held */
  get size(): number {
    return this.bytes
  }
}
