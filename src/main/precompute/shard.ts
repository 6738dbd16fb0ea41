// Runs in an engine worker: computes the activations of a share of the missing (image, view)
// pairs and writes them to the project's database as it goes, so a cancel or a crash keeps
// everything finished before it.
import { ThawError } from '../errors'
import * as tf from '@tensorflow/tfjs'
import { toInputBatch, type RgbImage } from '../backbones/preprocess'
import type { TaskContext } from '../engine/protocol'
import { backbone, engine, projectDb, segment } from '../engine/runtime'
import { concatPool } from '../training/head'
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

/** Output of the cut layer for a batch, reduced as the set says, one Float32Array per image. */
export function activationsOf(trunk: tf.LayersModel, input: tf.Tensor4D, reduce: ActivationSetKey['reduce']): Float32Array[] {
  const out = tf.tidy(() => {
    const map = trunk.predict(input) as tf.Tensor4D
    return reduce === 'concat-pool' ? concatPool(map) : map
  })
  const n = out.shape[0]
  const data = out.dataSync() as Float32Array
  const size = data.length / n
  out.dispose()
  return Array.from({ length: n }, (_, i) => data.slice(i * size, (i + 1) * size))
}

export async function precomputeShard(args: ShardArgs, ctx: TaskContext): Promise<ShardResult> {
  const started = Date.now()
  await engine()
  const bb = await backbone(args.key.backbone)
  if (bb.source.sha256 !== args.key.backboneSha256) {
    throw new ThawError('BACKBONE_CHANGED', `the ${bb.spec.id} weights changed while precomputing (sha256 ${bb.source.sha256.slice(0, 12)})`)
  }
  const trunk = segment(bb, null, args.key.layer)
  const mapShape = trunk.outputs[0]!.shape.slice(1) as number[]
  const shape = args.key.reduce === 'concat-pool' ? [2 * mapShape[2]!] : mapShape
  const db = projectDb(args.projectDir)
  const set = ensureSet(db, args.key, shape)

  const result: ShardResult = { computed: 0, failed: [], forwardMs: 0, ms: 0 }
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
      const input = toInputBatch(
        ok.map((d) => d.image),
        bb.spec
      )
      const acts = activationsOf(trunk, input, args.key.reduce)
      input.dispose()
      result.forwardMs += Date.now() - t0
      writeActivations(
        db,
        set.id,
        ok.map((d, i) => ({ hash: d.item.hash, view: d.item.view, values: acts[i]! }))
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
