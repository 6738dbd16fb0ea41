import * as tf from '@tensorflow/tfjs'
import { ThawError } from '../errors'
import { checkProbabilities } from './finite'
import type { PredictResult } from '../../shared/types'
import type { BackboneSpec } from '../backbones'
import { resizeOptions } from '../backbones/preprocess'
import { decodeForModel } from '../dataset/decode'
import { createHash } from 'node:crypto'
import type { FrozenRunner } from '../engine/onnx/importedBackbone'
import { engine, frozenModel, projectDb, transientFrozenModel } from '../engine/runtime'
import { importedClassifier } from './importedClassifier'
import type { Db } from '../store/db'
import { fromArtifacts } from './artifacts'
import { modelArtifacts, modelMeta } from './modelStore'
import { IMAGE_MAX_BYTES, readRegularFile } from '../util/safeRead'

export interface PredictArgs {
  projectDir: string
  paths: string[]
  modelId?: number
}


const loaded = new Map<string, Promise<{ net: tf.LayersModel; forward: FrozenRunner }>>()

/** Images decoded and run together: ONNX Runtime and TF.js both gain from batches, and 16 RGB
 * inputs at 224 px are 9.6 MB. */
const PREDICT_BATCH = 16

/** Names a stored model's exact network: its converted ONNX file and check are kept under it. */
export function modelDigest(db: Db, id: number): string {
  const art = modelArtifacts(db, id)
  return createHash('sha256').update(art.topology).update(art.weightData).digest('hex')
}

async function load(db: Db, id: number): Promise<{ net: tf.LayersModel; forward: FrozenRunner }> {
  const art = modelArtifacts(db, id)
  const digest = createHash('sha256').update(art.topology).update(art.weightData).digest('hex')
  const net = await fromArtifacts(art)
  try {
    return { net, forward: await modelForward(db, id, net, digest, false) }
  } catch (err) {
    net.dispose()
    throw err
  }
}

/** What runs a stored model from pixels: its fused network (ONNX Runtime where it converts and
 * passes its check), or, on an imported ONNX backbone, that file and then the kept head.
 * `transient`: not kept in the worker (the caller releases it). */
export async function modelForward(db: Db, id: number, net: tf.LayersModel, digest: string, transient: boolean): Promise<FrozenRunner> {
  const meta = modelMeta(db, id)!
  const spec = (meta.report as { spec: BackboneSpec }).spec
  if (spec.source.kind === 'onnx') return importedClassifier(spec, meta.backboneSha256, net, id)
  return transient ? transientFrozenModel(net, digest) : frozenModel(net, digest)
}

/** Runs `fn` with a project's model network: the one this worker keeps loaded for `predict`, if
 * any, else a copy loaded for the call and disposed after it (scoring every image once should not
 * pin a network in memory). */
export async function withModel<T>(db: Db, projectDir: string, id: number, fn: (net: tf.LayersModel) => Promise<T>): Promise<T> {
  const cached = loaded.get(`${projectDir}#${id}`)
  if (cached) return fn((await cached).net)
  const net = await fromArtifacts(modelArtifacts(db, id))
  try {
    return await fn(net)
  } finally {
    net.dispose()
  }
}

/** Predicts with a project's model (the chosen one by default): the fused network, so exactly what
 * an export will compute. */
export async function predictTask(args: PredictArgs): Promise<{ modelId: number; results: PredictResult[] }> {
  await engine()
  const db = projectDb(args.projectDir)
  const meta = modelMeta(db, args.modelId)
  if (!meta) throw new ThawError('NO_MODEL', 'this project has no trained model yet: train one first (thaw train)')
  const key = `${args.projectDir}#${meta.id}`
  let model = loaded.get(key)
  if (!model) {
    model = load(db, meta.id)
    loaded.set(key, model)
    model.catch(() => loaded.delete(key))
  }
  const { forward } = await model
  const spec = (meta.report as { spec: BackboneSpec }).spec
  const { width, height } = resizeOptions(spec)
  const results: PredictResult[] = []
  const decode = (paths: string[]) =>
    Promise.all(
      paths.map((path) =>
        // only a regular file, read once: sharp given a FIFO's name would wait for a writer forever
        readRegularFile(path, { maxBytes: IMAGE_MAX_BYTES, what: 'the image' })
          .then((bytes) => decodeForModel(bytes, width, spec.preprocessing.resize))
          .then((pixels) => ({ path, pixels }), (err: Error) => ({ path, error: err.message }))
      )
    )
  const chunks: string[][] = []
  for (let i = 0; i < args.paths.length; i += PREDICT_BATCH) chunks.push(args.paths.slice(i, i + PREDICT_BATCH))
  // the next chunk decodes (in sharp's threads) while this one runs
  let next = chunks.length ? decode(chunks[0]!) : null
  for (let c = 0; c < chunks.length; c++) {
    const decoded = await next!
    next = c + 1 < chunks.length ? decode(chunks[c + 1]!) : null
    const ok = decoded.filter((d): d is { path: string; pixels: Uint8Array } => 'pixels' in d)
    const size = width * height * 3
    const input = new Float32Array(ok.length * size)
    ok.forEach((d, i) => input.set(d.pixels, i * size))
    const out = ok.length ? await forward.run(input, [ok.length, height, width, 3]) : { data: new Float32Array(0) }
    const k = meta.classes.length
    let row = 0
    for (const d of decoded) {
      if ('error' in d) {
        results.push({ path: d.path, error: d.error })
        continue
      }
      const probs = Array.from(out.data.subarray(row * k, ++row * k))
      const best = probs.indexOf(Math.max(...probs))
      const broken = checkProbabilities(probs)
      if (broken) {
        results.push({ path: d.path, error: broken })
        continue
      }
      results.push({ path: d.path, label: meta.classes[best]!, probs: Object.fromEntries(meta.classes.map((c, i) => [c, probs[i]!])) })
    }
  }
  return { modelId: meta.id, results }
}
