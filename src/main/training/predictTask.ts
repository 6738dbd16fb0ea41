import * as tf from '@tensorflow/tfjs'
import { ThawError } from '../errors'
import type { PredictResult } from '../../shared/types'
import type { BackboneSpec } from '../backbones'
import { resizeOptions } from '../backbones/preprocess'
import { decodeForModel } from '../dataset/decode'
import { engine, projectDb } from '../engine/runtime'
import { IMAGE_MAX_BYTES, readRegularFile } from '../util/safeRead'
import { fromArtifacts } from './artifacts'
import { modelArtifacts, modelMeta } from './modelStore'
import type { Db } from '../store/db'

export interface PredictArgs {
  projectDir: string
  paths: string[]
  modelId?: number
}


// The fused networks this worker has loaded, most recent last. Each holds its own copy of the
// backbone's weights, so only a few stay loaded.
const loaded = new Map<string, Promise<tf.LayersModel>>()
const KEEP_LOADED = 2

/** A project's model as one network (loaded once per worker, the last few kept). */
export function loadedModel(db: Db, projectDir: string, id: number): Promise<tf.LayersModel> {
  const key = `${projectDir}#${id}`
  let model = loaded.get(key)
  if (model) {
    loaded.delete(key)
    loaded.set(key, model)
    return model
  }
  model = fromArtifacts(modelArtifacts(db, id))
  loaded.set(key, model)
  model.catch(() => loaded.delete(key))
  while (loaded.size > KEEP_LOADED) {
    const [oldest, old] = loaded.entries().next().value as [string, Promise<tf.LayersModel>]
    loaded.delete(oldest)
    void old.then((m) => m.dispose(), () => undefined)
  }
  return model
}

/** Runs `fn` with a project's model: the loaded one if this worker has it, else a copy loaded for
 * the call and disposed after it (scoring every image once should not pin a network in memory). */
export async function withModel<T>(db: Db, projectDir: string, id: number, fn: (net: tf.LayersModel) => Promise<T>): Promise<T> {
  const cached = loaded.get(`${projectDir}#${id}`)
  if (cached) return fn(await cached)
  const net = await fromArtifacts(modelArtifacts(db, id))
  try {
    return await fn(net)
  } finally {
    net.dispose()
  }
}

/** Predicts with a project's model (the chosen one by default): the fused network, so exactly
 * what an export will compute. */
export async function predictTask(args: PredictArgs): Promise<{ modelId: number; results: PredictResult[] }> {
  await engine()
  const db = projectDb(args.projectDir)
  const meta = modelMeta(db, args.modelId)
  if (!meta) throw new ThawError('NO_MODEL', 'this project has no trained model yet: train one first (thaw train)')
  const net = await loadedModel(db, args.projectDir, meta.id)
  const spec = (meta.report as { spec: BackboneSpec }).spec
  const { width, height } = resizeOptions(spec)
  const results: PredictResult[] = []
  for (const path of args.paths) {
    let pixels: Uint8Array
    try {
      // only a regular file, read once: sharp given a FIFO's name would wait for a writer forever
      pixels = await decodeForModel(await readRegularFile(path, { maxBytes: IMAGE_MAX_BYTES, what: 'the image' }), width, spec.preprocessing.resize)
    } catch (err) {
      results.push({ path, error: (err as Error).message })
      continue
    }
    const probs = tf.tidy(() => (net.predict(tf.tensor4d(Float32Array.from(pixels), [1, height, width, 3])) as tf.Tensor).dataSync())
    const best = probs.indexOf(Math.max(...probs))
    results.push({ path, label: meta.classes[best]!, probs: Object.fromEntries(meta.classes.map((c, i) => [c, probs[i]!])) })
  }
  return { modelId: meta.id, results }
}
