import { ThawError } from '../../errors'
// A frozen part of a network (input -> cut) run on ONNX Runtime when it converts and agrees with
// TF.js, else on TF.js with the reason. TF.js stays the definition and the reference: the
// segment is converted from the TF.js model by the studio's own converter, and the first batch
// of real images it sees runs on both, which must agree within CHECK_TOLERANCE.
import * as tf from '@tensorflow/tfjs'
import { tfjsToOnnx } from '../../export/onnx'
import type { ProviderChoice, ProviderMachine, ProviderPreference } from './providers'
import { SegmentCache, type SegmentCheck, type SegmentKey } from './segmentCache'
import { startSession, type CreateSession, type OrtSession } from './session'
import { CHECK_TOLERANCE } from './tolerance'

export type RuntimePreference = 'auto' | 'onnx' | 'tfjs'
export type RuntimeName = 'onnx' | 'tfjs'

export { CHECK_TOLERANCE }
/** images of the first batch that are also run on TF.js for the check */
export const CHECK_IMAGES = 4
export const SEGMENT_OPSET = 13

export interface FrozenSettings {
  runtime: RuntimePreference
  provider: ProviderPreference
  /** ONNX Runtime intra-op threads */
  threads: number
  /** TF.js runs on a GPU (tfjs-node-gpu): under auto, ONNX Runtime on CPU would be slower */
  tfjsOnGpu?: boolean
}

export interface RuntimeStatus {
  runtime: RuntimeName
  /** the ONNX Runtime provider, when it runs */
  provider: ProviderChoice | null
  /** why it runs on TF.js (when auto chose it), or null */
  reason: string | null
  check: SegmentCheck | null
}

export interface FrozenDeps {
  cache?: SegmentCache | null
  create?: CreateSession
  machine?: ProviderMachine
}

export interface Output {
  data: Float32Array
  shape: number[]
}

function compare(onnx: Float32Array, ref: Float32Array, images: number, provider: string): SegmentCheck {
  let maxAbsDiff = 0
  let maxRef = 0
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs((onnx[i] as number) - (ref[i] as number))
    maxAbsDiff = Number.isNaN(d) ? Infinity : Math.max(maxAbsDiff, d)
    maxRef = Math.max(maxRef, Math.abs(ref[i] as number))
  }
  const relDiff = maxAbsDiff / Math.max(maxRef, 1e-12)
  const ok = relDiff <= CHECK_TOLERANCE
  const reason = ok ? null : `ONNX Runtime and TF.js disagree on ${images} images: max |difference| ${maxAbsDiff.toExponential(2)} (${relDiff.toExponential(2)} relative, over the ${CHECK_TOLERANCE} allowed)`
  return { ok, maxAbsDiff, relDiff, images, provider, reason }
}

export class FrozenForward {
  private decided: Promise<{ session: OrtSession | null; status: RuntimeStatus }> | null = null
  private current: RuntimeStatus | null = null

  constructor(
    /** the TF.js model of the segment: the reference, and the fallback */
    private readonly model: tf.LayersModel,
    /** null: convert in memory and keep nothing on disk (e.g. a trained model's own weights) */
    private readonly key: SegmentKey,
    private readonly settings: FrozenSettings,
    private readonly deps: FrozenDeps = {}
  ) {}

  /** How the last batch ran (null before the first). */
  status(): RuntimeStatus | null {
    return this.current
  }

  private tfjs(input: Float32Array, shape: number[]): Output {
    return tf.tidy(() => {
      const out = this.model.predict(tf.tensor(input, shape, 'float32')) as tf.Tensor
      return { data: out.dataSync() as Float32Array, shape: out.shape }
    })
  }

  private async bytes(): Promise<Uint8Array> {
    const cache = this.deps.cache === undefined ? new SegmentCache() : this.deps.cache
    const cached = await cache?.readModel(this.key)
    if (cached) return cached
    const bytes = await tfjsToOnnx(this.model, { opset: this.key.opset, producer: 'thaw-studio frozen segment' })
    await cache?.writeModel(this.key, bytes).catch(() => undefined) // a read-only cache only costs a conversion next time
    return bytes
  }

  /** Converts, starts a session and checks it on the first batch; any failure means TF.js. */
  private async decide(input: Float32Array, shape: number[]): Promise<{ session: OrtSession | null; status: RuntimeStatus; first?: Output }> {
    const tfjsWith = (reason: string | null) => ({ session: null, status: { runtime: 'tfjs' as const, provider: null, reason, check: null } })
    if (this.settings.runtime === 'tfjs') return tfjsWith('the runtime setting is tfjs')
    const forced = this.settings.runtime === 'onnx'
    const refuse = (reason: string) => {
      if (forced) throw new ThawError('ONNX_UNAVAILABLE', `the frozen segment cannot run on ONNX Runtime (runtime setting onnx): ${reason}`)
      return tfjsWith(reason)
    }
    let bytes: Uint8Array
    try {
      bytes = await this.bytes()
    } catch (err) {
      return refuse(`the converter cannot translate it: ${(err as Error).message}`)
    }
    let started: Awaited<ReturnType<typeof startSession>>
    try {
      started = await startSession(bytes, this.settings.provider, this.settings.threads, {
        ...(this.deps.create ? { create: this.deps.create } : {}),
        ...(this.deps.machine ? { machine: this.deps.machine } : {})
      })
    } catch (err) {
      return refuse(`ONNX Runtime cannot load it: ${(err as Error).message}`)
    }
    const { session, provider } = started
    if (!forced && this.settings.tfjsOnGpu && !provider.gpu) {
      await session.release()
      return tfjsWith(`TF.js runs on the GPU and ONNX Runtime would run on the CPU${provider.fallbackReason ? ` (${provider.fallbackReason})` : ''}`)
    }
    const cache = this.deps.cache === undefined ? new SegmentCache() : this.deps.cache
    let check = await cache?.readCheck(this.key, provider.name)
    let first: Output | undefined
    try {
      const out = await session.run(input, shape)
      first = { data: out.data, shape: out.dims }
      if (!check) {
        const n = Math.min(CHECK_IMAGES, shape[0]!)
        const per = input.length / shape[0]!
        const ref = this.tfjs(input.subarray(0, n * per), [n, ...shape.slice(1)])
        const sameShape = ref.shape.slice(1).join() === out.dims.slice(1).join()
        check = sameShape
          ? compare(out.data.subarray(0, ref.data.length), ref.data, n, provider.name)
          : { ok: false, maxAbsDiff: Infinity, relDiff: Infinity, images: n, provider: provider.name, reason: `ONNX Runtime gives [${out.dims.slice(1)}] per image, TF.js [${ref.shape.slice(1)}]` }
        await cache?.writeCheck(this.key, check).catch(() => undefined)
      }
    } catch (err) {
      await session.release()
      return refuse(`ONNX Runtime failed on the first batch: ${(err as Error).message}`)
    }
    if (!check.ok) {
      await session.release()
      return refuse(check.reason ?? 'it failed its check against TF.js')
    }
    return { session, status: { runtime: 'onnx', provider, reason: null, check }, first }
  }

  /** The segment's output for a batch [n, ...], as a flat Float32Array and its shape. */
  async run(input: Float32Array, shape: number[]): Promise<Output> {
    if (!this.decided) {
      const deciding = this.decide(input, shape)
      this.decided = deciding
      deciding.catch(() => {
        this.decided = null // a refused forced run may be retried with another setting
      })
      const d = await deciding
      this.current = d.status
      if (d.first) return d.first
    }
    const { session, status } = await this.decided
    this.current = status
    if (!session) return this.tfjs(input, shape)
    const out = await session.run(input, shape)
    return { data: out.data, shape: out.dims }
  }

  async release(): Promise<void> {
    const d = await this.decided?.catch(() => null)
    this.decided = null
    await d?.session?.release()
  }
}
