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

export interface PredictArgs {
  projectDir: string
  paths: string[]
  modelId?: number
}


const loaded = new Map<string, Promise<tf.LayersModel>>()

/** Predicts with a project's model (the newest by default): the fused network, so exactly what
 * an export will compute. */
export async function predictTask(args: PredictArgs): Promise<{ modelId: number; results: PredictResult[] }> {
  await engine()
  const db = projectDb(args.projectDir)
  const meta = modelMeta(db, args.modelId)
  if (!meta) throw new ThawError('NO_MODEL', 'this project has no trained model yet: train one first (thaw train)')
  const key = `${args.projectDir}#${meta.id}`
  let model = loaded.get(key)
  if (!model) {
    model = fromArtifacts(modelArtifacts(db, meta.id))
    loaded.set(key, model)
    model.catch(() => loaded.delete(key))
  }
  const net = await model
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
