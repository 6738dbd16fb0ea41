// Converted frozen segments on disk, beside the backbone cache: one .onnx file per (backbone
// weights digest, cut layer, opset, converter version), and the verdict of its first check
// against TF.js, so another worker or another day neither converts nor checks it again.
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { defaultCacheDir } from '../../backbones'
import { writeFileAtomic } from '../../backbones/cache'

/** Bump when the converter's output for the same model changes: old files are then ignored. */
export const CONVERTER_VERSION = 1

export interface SegmentKey {
  /** digest of the weights the segment computes with (a backbone's sha256, a model's) */
  digest: string
  /** names what the segment computes: e.g. 'input->Conv2d_18_1_relu6:concat-pool' */
  cut: string
  opset: number
}

/** The verdict of the check against TF.js, as stored. */
export interface SegmentCheck {
  ok: boolean
  /** max |onnx - tfjs| over the checked outputs */
  maxAbsDiff: number
  /** maxAbsDiff / max |tfjs| */
  relDiff: number
  images: number
  /** the provider that ran the check: another provider is checked again */
  provider: string
  reason: string | null
}

export function segmentCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(path.dirname(defaultCacheDir(env)), 'onnx-segments')
}

function baseName(key: SegmentKey): string {
  const safeCut = key.cut.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 120)
  return `${key.digest.slice(0, 32)}-${safeCut}-op${key.opset}-c${CONVERTER_VERSION}`
}

export class SegmentCache {
  constructor(readonly dir: string = segmentCacheDir()) {}

  modelPath(key: SegmentKey): string {
    return path.join(this.dir, `${baseName(key)}.onnx`)
  }

  private checkPath(key: SegmentKey, provider: string): string {
    return path.join(this.dir, `${baseName(key)}.${provider}.check.json`)
  }

  async readModel(key: SegmentKey): Promise<Uint8Array | null> {
    return readFile(this.modelPath(key)).catch(() => null)
  }

  async writeModel(key: SegmentKey, bytes: Uint8Array): Promise<void> {
    await writeFileAtomic(this.modelPath(key), bytes)
  }

  async readCheck(key: SegmentKey, provider: string): Promise<SegmentCheck | null> {
    try {
      return JSON.parse(await readFile(this.checkPath(key, provider), 'utf8')) as SegmentCheck
    } catch {
      return null
    }
  }

  async writeCheck(key: SegmentKey, check: SegmentCheck): Promise<void> {
    await writeFileAtomic(this.checkPath(key, check.provider), JSON.stringify(check, null, 2))
  }
}
