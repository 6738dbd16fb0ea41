// Runs in an engine worker: computes the activations of a share of the missing (image, view)
// pairs and writes them to the project's database as it goes, so a cancel or a crash keeps
// everything finished before it.
import type { PrecomputeStages } from '../../shared/types'
import { ThawError } from '../errors'
import { toInputArray, type RgbImage } from '../backbones/preprocess'
import type { FrozenSettings, RuntimeName, RuntimeStatus } from '../engine/onnx/frozen'
import type { TaskContext } from '../engine/protocol'
import { engine, featureSource, frozenSettings, projectDb } from '../engine/runtime'
import { ensureSet, writeEncoded, type ActivationRuntime, type ActivationSetKey } from './activationStore'
import { encodeHalf } from './float16'
import { emptyStages } from './stages'
import { decodeView } from './views'

export interface ShardItem {
  hash: string
  path: string
  view: number
}

export interface ShardArgs {
  projectDir: string
  key: ActivationSetKey
  items: ShardItem[]
  batchSize: number
  /** When set, the first batch decides: the shard goes on through all its items only if the
   * runtime that ran it is one of these, and otherwise stops there and hands the rest back (see
   * `processed`), for the caller to spread over more workers. Going on in the same shard keeps
   * decoding running ahead of the forward instead of draining and restarting the pipeline. */
  continueOn?: RuntimeName[]
}


/** Where a shard's time went, in milliseconds on the worker's thread (sharp decodes on libuv's
 * threads, ONNX Runtime's intra-op threads run beside the thread's own part of the forward):
 * PrecomputeStages says what each stage is. */
export type ShardTimings = PrecomputeStages

export interface ShardResult {
  /** items done (computed or failed) from the start of `items`; the rest were handed back */
  processed: number
  computed: number
  failed: { path: string; reason: string }[]
  /** time in the forward pass alone, and in all (decode included) */
  forwardMs: number
  ms: number
  /** the same time, stage by stage */
  timings: ShardTimings
  /** what ran the forward pass (null when there was nothing to compute) */
  runtime: RuntimeStatus | null
  /** the worker's runtime setting and ONNX Runtime threads */
  settings: FrozenSettings
  /** the worker's TF.js backend, for people */
  backendDetail: string
}

type Decoded = { item: ShardItem; image: RgbImage } | { item: ShardItem; error: string }
type DecodeSpec = Parameters<typeof decodeView>[1]

/** Batches decoded ahead of the one the forward pass runs on. All of a batch's images go to
 * libuv's threads at once (the worker's own thread is inside ONNX Runtime's synchronous run most
 * of the time and cannot hand out more work meanwhile), and with two batches queued sharp never
 * runs dry at a batch's last few images while the forward waits. */
export const DECODE_AHEAD = 2

function decodeBatch(items: ShardItem[], spec: DecodeSpec): Promise<Decoded[]> {
  return Promise.all(
    items.map((item) =>
      decodeView(item.path, spec, item.hash, item.view).then(
        (image) => ({ item, image }),
        (err: Error) => ({ item, error: err.message })
      )
    )
  )
}

/** The rows of a batch's output as float16, one per decoded image. */
export function encodeRows(ok: readonly { item: ShardItem }[], out: Float32Array): { hash: string; view: number; half: Uint16Array }[] {
  const size = out.length / ok.length
  return ok.map((d, i) => ({ hash: d.item.hash, view: d.item.view, half: encodeHalf(out.subarray(i * size, (i + 1) * size)) }))
}

export async function precomputeShard(args: ShardArgs, ctx: TaskContext): Promise<ShardResult> {
  const started = performance.now()
  const timings = { ...emptyStages(), shards: 1 }
  const backend = await engine()
  const bb = await featureSource(args.key.backbone)
  if (bb.sha256 !== args.key.backboneSha256) {
    throw new ThawError('BACKBONE_CHANGED', `the ${bb.spec.id} weights changed while precomputing (sha256 ${bb.sha256.slice(0, 12)})`)
  }
  const batches: ShardItem[][] = []
  for (let i = 0; i < args.items.length; i += args.batchSize) batches.push(args.items.slice(i, i + args.batchSize))
  // decoding starts before the segment is built and the session started, which it overlaps
  const decodes: Promise<Decoded[]>[] = []
  const decodeUpTo = (b: number) => {
    while (decodes.length < Math.min(b + 1, batches.length) && !ctx.signal.aborted) decodes.push(decodeBatch(batches[decodes.length]!, bb.spec))
  }
  decodeUpTo(DECODE_AHEAD - 1)

  const result: ShardResult = { processed: 0, computed: 0, failed: [], forwardMs: 0, ms: 0, timings, runtime: null, settings: frozenSettings(), backendDetail: backend.detail }
  try {
    const mapShape = bb.mapShape(args.key.layer)
    const shape = args.key.reduce === 'concat-pool' ? [2 * mapShape[2]!] : mapShape
    const frozen = bb.frozen(args.key.layer, args.key.reduce)
    const db = projectDb(args.projectDir)
    const set = ensureSet(db, args.key, shape)
    // one input buffer for every batch: the forward is done with it when run() resolves
    let buffer: Float32Array | undefined
    timings.setupMs = performance.now() - started
    for (let b = 0; b < decodes.length; b++) {
      let t = performance.now()
      const decoded = await decodes[b]!
      decodeUpTo(b + DECODE_AHEAD)
      timings.decodeWaitMs += performance.now() - t
      const ok = decoded.filter((d): d is { item: ShardItem; image: RgbImage } => 'image' in d)
      for (const d of decoded) if ('error' in d) result.failed.push({ path: d.item.path, reason: d.error })
      if (ok.length) {
        t = performance.now()
        const input = toInputArray(
          ok.map((d) => d.image),
          bb.spec,
          buffer
        )
        if (!buffer || buffer.length < input.data.length) buffer = input.data
        timings.packMs += performance.now() - t
        t = performance.now()
        const out = await frozen.run(input.data, input.shape)
        const ms = performance.now() - t
        timings.forwardMs += ms
        if (!timings.batches) timings.firstForwardMs = ms
        result.runtime = frozen.status()
        t = performance.now()
        const rows = encodeRows(ok, out.data)
        timings.encodeMs += performance.now() - t
        t = performance.now()
        writeEncoded(db, set.id, rows, (result.runtime?.runtime ?? 'tfjs') as ActivationRuntime)
        timings.writeMs += performance.now() - t
        result.computed += ok.length
        timings.batches++
      }
      result.processed += decoded.length
      t = performance.now()
      ctx.progress(result.processed, args.items.length)
      await ctx.checkpoint()
      timings.progressMs += performance.now() - t
      if (ctx.signal.aborted) break
      // (an image that failed to decode leaves the first batch's runtime unknown: go on deciding)
      if (args.continueOn && result.runtime && !args.continueOn.includes(result.runtime.runtime)) break
    }
  } finally {
    // decodes still in flight (cancelled, or a failure above) finish into nothing
    await Promise.all(decodes.map((d) => d.catch(() => undefined)))
  }
  result.forwardMs = Math.round(timings.forwardMs)
  result.ms = Math.round(performance.now() - started)
  return result
}
