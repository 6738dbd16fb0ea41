// The frozen forward of an imported ONNX backbone: the user's file is the definition, so there is
// no TF.js twin to convert from or check against, and ONNX Runtime is its only runtime (a
// "TF.js only" setting is refused with that reason rather than ignored). It takes the same
// input as every frozen segment (NHWC float32, already scaled by the spec's preprocessing) and
// gives the same output (concat-pooled features, or the map as NHWC), so precompute, the
// uncached head baseline and the embeddings cannot tell it from a converted segment.
import { ThawError } from '../../errors'
import type { OnnxBackboneIo } from '../../backbones/types'
import type { FrozenDeps, FrozenSettings, Output, RuntimeStatus } from './frozen'
import { startSession, type OrtSession } from './session'

/** What precompute and training need of a frozen forward, whoever runs it. */
export interface FrozenRunner {
  run(input: Float32Array, shape: number[]): Promise<Output>
  status(): RuntimeStatus | null
  release(): Promise<void>
}

/** NHWC [n, h, w, c] -> NCHW [n, c, h, w]. */
export function nhwcToNchw(x: Float32Array, [n, h, w, c]: readonly number[]): Float32Array {
  const out = new Float32Array(x.length)
  const hw = h! * w!
  for (let b = 0; b < n!; b++) {
    const base = b * hw * c!
    for (let p = 0; p < hw; p++) for (let k = 0; k < c!; k++) out[base + k * hw + p] = x[base + p * c! + k]!
  }
  return out
}

/** NCHW [n, c, h, w] -> NHWC [n, h, w, c]. */
export function nchwToNhwc(x: Float32Array, [n, c, h, w]: readonly number[]): Float32Array {
  const out = new Float32Array(x.length)
  const hw = h! * w!
  for (let b = 0; b < n!; b++) {
    const base = b * hw * c!
    for (let k = 0; k < c!; k++) for (let p = 0; p < hw; p++) out[base + p * c! + k] = x[base + k * hw + p]!
  }
  return out
}

/** [avg over space of each channel, max over space of each channel] per image, the order of the
 * studio's concat pooling (GlobalAveragePooling2D then GlobalMaxPooling2D, concatenated). The
 * map is NHWC [n, h, w, c]; a vector [n, c] is a 1x1 map. */
export function concatPool(map: Float32Array, n: number, spatial: number, channels: number): Float32Array {
  const out = new Float32Array(n * 2 * channels)
  for (let b = 0; b < n; b++) {
    const sum = new Float64Array(channels)
    const max = new Float32Array(channels).fill(-Infinity)
    const base = b * spatial * channels
    for (let p = 0; p < spatial; p++) {
      for (let k = 0; k < channels; k++) {
        const v = map[base + p * channels + k]!
        sum[k]! += v
        if (v > max[k]!) max[k] = v
      }
    }
    for (let k = 0; k < channels; k++) {
      out[b * 2 * channels + k] = sum[k]! / spatial
      out[b * 2 * channels + channels + k] = max[k]!
    }
  }
  return out
}

export class OnnxBackboneForward implements FrozenRunner {
  private session: Promise<{ session: OrtSession; status: RuntimeStatus }> | null = null
  private current: RuntimeStatus | null = null

  constructor(
    private readonly bytes: Uint8Array,
    private readonly id: string,
    private readonly io: OnnxBackboneIo,
    private readonly reduce: 'concat-pool' | 'none',
    private readonly settings: FrozenSettings,
    private readonly deps: FrozenDeps = {}
  ) {}

  status(): RuntimeStatus | null {
    return this.current
  }

  private start(): Promise<{ session: OrtSession; status: RuntimeStatus }> {
    if (this.settings.runtime === 'tfjs') {
      return Promise.reject(
        new ThawError(
          'ONNX_REQUIRED',
          `${this.id} is an imported ONNX backbone and runs on ONNX Runtime only, but the frozen-part setting is "TF.js only" (--runtime tfjs): set it to auto or onnx`
        )
      )
    }
    this.session ??= startSession(this.bytes, this.settings.provider, this.settings.threads, {
      ...(this.deps.create ? { create: this.deps.create } : {}),
      ...(this.deps.machine ? { machine: this.deps.machine } : {}),
      names: { input: this.io.input, output: this.io.output }
    }).then(
      ({ session, provider }) => ({ session, status: { runtime: 'onnx' as const, provider, reason: null, check: null } }),
      (err: Error) => {
        this.session = null
        throw new ThawError('ONNX_UNAVAILABLE', `ONNX Runtime cannot run the imported backbone ${this.id}: ${err.message}`)
      }
    )
    return this.session
  }

  /** input: NHWC [n, h, w, 3], preprocessed. */
  async run(input: Float32Array, shape: number[]): Promise<Output> {
    const { session, status } = await this.start()
    this.current = status
    const n = shape[0]!
    const feed = this.io.layout === 'NCHW' ? nhwcToNchw(input, shape) : input
    const dims = this.io.layout === 'NCHW' ? [n, shape[3]!, shape[1]!, shape[2]!] : shape
    const per = feed.length / n
    // a file that fixes its batch at 1 runs image by image
    const parts = this.io.batchOne && n > 1 ? Array.from({ length: n }, (_, i) => feed.subarray(i * per, (i + 1) * per)) : [feed]
    const outs: { data: Float32Array; dims: number[] }[] = []
    for (const part of parts) outs.push(await session.run(part, [part.length / per, ...dims.slice(1)]))
    const one = outs[0]!.dims
    if (one.length !== this.io.outputRank) throw new ThawError('BACKBONE_CHANGED', `the imported backbone ${this.id} now gives a ${one.length}D output, not ${this.io.outputRank}D as at import`)
    const data = outs.length === 1 ? outs[0]!.data : concat(outs.map((o) => o.data))
    // the map as NHWC [n, h, w, c]
    const [h, w, c] = one.length === 2 ? [1, 1, one[1]!] : this.io.layout === 'NCHW' ? [one[2]!, one[3]!, one[1]!] : [one[1]!, one[2]!, one[3]!]
    const map = one.length === 4 && this.io.layout === 'NCHW' ? nchwToNhwc(data, [n, c, h, w]) : data
    if (this.reduce === 'concat-pool') return { data: concatPool(map, n, h * w, c), shape: [n, 2 * c] }
    return { data: map, shape: [n, h, w, c] }
  }

  async release(): Promise<void> {
    const s = await this.session?.catch(() => null)
    this.session = null
    await s?.session.release()
  }
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
