// Runs in an engine worker: a model's prediction for every usable image it has not scored yet.
// From the cache when the model's backbone is the frozen, published one (only the head runs: a
// few milliseconds per thousand images); otherwise the whole network over the images.
import * as tf from '@tensorflow/tfjs'
import type { FileProblem } from '../../shared/types'
import type { BackboneSpec } from '../backbones'
import { resizeOptions } from '../backbones/preprocess'
import { decodeForModel } from '../dataset/decode'
import type { TaskContext } from '../engine/protocol'
import { engine, projectDb, transientFrozenModel } from '../engine/runtime'
import { ThawError } from '../errors'
import { readActivations, type ActivationSet } from '../precompute/activationStore'
import type { Db } from '../store/db'
import { modelMeta, type StoredModelMeta } from './modelStore'
import { modelDigest, modelForward, withModel } from './predictTask'
import { unscored, writePredictions, type PredictionRow } from './predictionStore'

export interface PredictAllArgs {
  projectDir: string
  modelId: number
  /** the pooled features of the model's backbone at its feature layer, when they can stand in
   * for the backbone (it stayed frozen and its weights are those the cache was made with) */
  cache: ActivationSet | null
}

export interface PredictAllTaskResult {
  computed: number
  failed: FileProblem[]
  source: 'cache' | 'images'
}

const CACHE_BATCH = 1024
const IMAGE_BATCH = 16

/** The fused network's layers after its pooling (the head and the softmax) as a model of their
 * own over the pooled features: the same layer objects, so the same weights. Dispose it before
 * the network: applying the layers again counted one more user of their weights, and its dispose
 * gives that back (the network's then frees them). A network that is a head alone (on an
 * imported ONNX backbone: its input is the pooled features) is its own head, not to be disposed. */
export function headModel(net: tf.LayersModel): tf.LayersModel {
  const at = net.layers.findIndex((l) => l.name === 'pool_concat')
  // a model on an imported ONNX backbone keeps the head alone, whose input is the pooled features
  if (at < 0 && net.inputs[0]!.shape.length === 2) return net
  if (at < 0) throw new Error('this model has no pooling layer named pool_concat; it cannot be run from the cache')
  const pooled = net.layers[at]!.outputShape as number[]
  const input = tf.input({ shape: pooled.slice(1), name: 'pooled_features' })
  const out = net.layers.slice(at + 1).reduce((y, layer) => layer.apply(y) as tf.SymbolicTensor, input)
  return tf.model({ inputs: input, outputs: out, name: `${net.name}__head` })
}

function cachedHashes(db: Db, setId: number): Set<string> {
  return new Set(db.prepare('SELECT hash FROM activations WHERE set_id = ? AND view = 0').pluck().all(setId) as string[])
}

export async function predictAllTask(args: PredictAllArgs, ctx: TaskContext): Promise<PredictAllTaskResult> {
  await engine()
  const db = projectDb(args.projectDir)
  const meta = modelMeta(db, args.modelId)
  if (!meta) throw new ThawError('UNKNOWN_MODEL', `there is no model ${args.modelId} in this project`)
  return withModel(db, args.projectDir, meta.id, (net) => score(db, net, meta, args, ctx))
}

async function score(db: Db, net: tf.LayersModel, meta: StoredModelMeta, args: PredictAllArgs, ctx: TaskContext): Promise<PredictAllTaskResult> {
  const todo = unscored(db, meta.id)
  const have = args.cache ? cachedHashes(db, args.cache.id) : new Set<string>()
  const fromCache = todo.filter((t) => have.has(t.hash))
  const fromImages = todo.filter((t) => !have.has(t.hash))
  const total = todo.length
  let done = 0
  const failed: FileProblem[] = []

  if (fromCache.length) {
    // the head over 10,000 images is 26 GFLOP at 512 hidden units: ONNX Runtime's matrix
    // products over every core, once converted and checked against TF.js on the first batch
    // (TF.js otherwise, with the reason); the file and its check stay on disk by the model's digest
    const head = headModel(net)
    const forward = transientFrozenModel(head, modelDigest(db, meta.id), 'pooled-head')
    const dim = args.cache!.shape.reduce((a, b) => a * b, 1)
    // batches in hash order: each batch's rows are one range of the cache's key (activationStore)
    fromCache.sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0))
    try {
      for (let i = 0; i < fromCache.length; i += CACHE_BATCH) {
        if (ctx.signal.aborted) throw new ThawError('CANCELLED', 'scoring the images was cancelled')
        const items = fromCache.slice(i, i + CACHE_BATCH)
        const features = readActivations(db, args.cache!, items.map((it) => ({ hash: it.hash, view: 0 })))
        const values = (await forward.run(features, [items.length, dim])).data
        writePredictions(db, meta.id, meta.classes, rowsOf(items, values, meta.classes.length))
        done += items.length
        ctx.progress(done, total, `scoring images from the cache`)
        await ctx.checkpoint()
      }
    } finally {
      await forward.release()
      if (head !== net) head.dispose()
    }
  }

  if (fromImages.length) {
    const spec = (meta.report as { spec: BackboneSpec }).spec
    const { width, height } = resizeOptions(spec)
    // the whole network is frozen here: ONNX Runtime where it converts and passes its check
    const forward = await modelForward(db, meta.id, net, modelDigest(db, meta.id), true)
    try {
      for (let i = 0; i < fromImages.length; i += IMAGE_BATCH) {
        if (ctx.signal.aborted) throw new ThawError('CANCELLED', 'scoring the images was cancelled')
        const items: typeof fromImages = []
        const pixels: Uint8Array[] = []
        await Promise.all(
          fromImages.slice(i, i + IMAGE_BATCH).map(async (it) => {
            try {
              const px = await decodeForModel(it.path, width, spec.preprocessing.resize)
              items.push(it)
              pixels.push(px)
            } catch (err) {
              failed.push({ path: it.path, reason: (err as Error).message })
            }
          })
        )
        if (items.length) {
          const batch = new Float32Array(items.length * height * width * 3)
          pixels.forEach((px, k) => batch.set(px, k * height * width * 3))
          const values = (await forward.run(batch, [items.length, height, width, 3])).data
          writePredictions(db, meta.id, meta.classes, rowsOf(items, values, meta.classes.length))
        }
        done += IMAGE_BATCH
        ctx.progress(Math.min(done, total), total, 'scoring images with the whole network')
        await ctx.checkpoint()
      }
    } finally {
      await forward.release()
    }
  }
  return { computed: total - failed.length, failed, source: fromImages.length ? 'images' : 'cache' }
}

function rowsOf(items: { hash: string }[], values: Float32Array, k: number): PredictionRow[] {
  return items.map((it, j) => ({ hash: it.hash, probs: values.slice(j * k, (j + 1) * k) }))
}
