// Runs in an engine worker: computes the activations of a share of the missing (image, view)
// pairs and writes them to the project's database as it goes, so a cancel or a crash keeps
// everything finished before it.
import { ThawError } from '../errors'
import { toInputArray, type RgbImage } from '../backbones/preprocess'
import type { FrozenSettings, RuntimeStatus } from '../engine/onnx/frozen'
import type { TaskContext } from '../engine/protocol'
import { engine, featureSource, frozenSettings, projectDb } from '../engine/runtime'
import { ensureSet, writeActivations, type ActivationSetKey } from './activationStore'
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
}

export interface ShardResult {
  computed: number
  failed: { path: string; reason: string }[]
  /** time in the forward pass alone, and in all (decode included) */
  forwardMs: number
  ms: number
  /** what ran the forward pass (null when there was nothing to compute) */
  runtime: RuntimeStatus | null
  /** the worker's runtime setting and ONNX Runtime threads */
  settings: FrozenSettings
  /** the worker's TF.js backend, for people */
  backendDetail: string
}

type Decoded = { item: ShardItem; image: RgbImage } | { item: ShardItem; error: string }

async function decodeBatch(items: ShardItem[], spec: Parameters<typeof decodeView>[1]): Promise<Decoded[]> {
  return Promise.all(
    items.map((item) =>
      decodeView(item.path, spec, item.hash, item.view).then(
        (image) => ({ item, image }),
        (err: Error) => ({ item, error: err.message })
      )
    )
  )
}

export async function precomputeShard(args: ShardArgs, ctx: TaskContext): Promise<ShardResult> {
  const started = Date.now()
  const backend = await engine()
  const bb = await featureSource(args.key.backbone)
  if (bb.sha256 !== args.key.backboneSha256) {
    throw new ThawError('BACKBONE_CHANGED', `the ${bb.spec.id} weights changed while precomputing (sha256 ${bb.sha256.slice(0, 12)})`)
  }
  const mapShape = bb.mapShape(args.key.layer)
  const shape = args.key.reduce === 'concat-pool' ? [2 * mapShape[2]!] : mapShape
  const frozen = bb.frozen(args.key.layer, args.key.reduce)
  const db = projectDb(args.projectDir)
  const set = ensureSet(db, args.key, shape)

  const result: ShardResult = { computed: 0, failed: [], forwardMs: 0, ms: 0, runtime: null, settings: frozenSettings(), backendDetail: backend.detail }
  const batches: ShardItem[][] = []
  for (let i = 0; i < args.items.length; i += args.batchSize) batches.push(args.items.slice(i, i + args.batchSize))
  // decoding runs in sharp's threads while this thread runs the forward pass of the batch before
  let next = batches.length ? decodeBatch(batches[0]!, bb.spec) : null
  for (let b = 0; b < batches.length && next; b++) {
    const decoded = await next
    next = b + 1 < batches.length && !ctx.signal.aborted ? decodeBatch(batches[b + 1]!, bb.spec) : null
    const ok = decoded.filter((d): d is { item: ShardItem; image: RgbImage } => 'image' in d)
    for (const d of decoded) if ('error' in d) result.failed.push({ path: d.item.path, reason: d.error })
    if (ok.length) {
      const t0 = Date.now()
      const input = toInputArray(
        ok.map((d) => d.image),
        bb.spec
      )
      const out = await frozen.run(input.data, input.shape)
      result.forwardMs += Date.now() - t0
      result.runtime = frozen.status()
      const size = out.data.length / ok.length
      writeActivations(
        db,
        set.id,
        ok.map((d, i) => ({ hash: d.item.hash, view: d.item.view, values: out.data.subarray(i * size, (i + 1) * size) })),
        result.runtime?.runtime ?? 'tfjs'
      )
      result.computed += ok.length
    }
    ctx.progress(result.computed + result.failed.length, args.items.length)
    await ctx.checkpoint()
    if (ctx.signal.aborted) break
  }
  await next?.catch(() => undefined)
  result.ms = Date.now() - started
  return result
}
