// Per-worker state: the TF.js backend (started once), loaded backbones and the segments cut from
// them, and open project databases. Only engine workers import this.
import * as tf from '@tensorflow/tfjs'
import path from 'node:path'
import { buildSegment, loadBackbone, loadOnnxBackbone, resolveBackboneSpec, type BackboneSpec, type LoadedBackbone, type LoadedOnnxBackbone } from '../backbones'
import { ThawError } from '../errors'
import { stat } from 'node:fs/promises'
import { backboneDir } from '../backbones/cache'
import { ONNX_BACKBONE_FILE, defaultCacheDir } from '../backbones'
import { OnnxBackboneForward, type FrozenRunner } from './onnx/importedBackbone'
import { DB_FILE } from '../project/project'
import { openDatabase, type Db } from '../store/db'
import os from 'node:os'
import { initBackend, type BackendInfo } from './backend'
import { FrozenForward, SEGMENT_OPSET, type FrozenDeps, type FrozenSettings } from './onnx/frozen'
import type { WorkerConfig } from './protocol'

let config: WorkerConfig = { backend: 'auto' }
let backend: Promise<BackendInfo> | null = null
const backbones = new Map<string, Promise<LoadedBackbone>>()
const segments = new Map<string, tf.LayersModel>()
const dbs = new Map<string, Db>()
const frozen = new Map<string, FrozenRunner>()
const onnxBackbones = new Map<string, Promise<LoadedOnnxBackbone>>()
let frozenDeps: FrozenDeps = {}

export function setEngineConfig(c: WorkerConfig): void {
  config = c
}

let backendOnGpu = false

export function engine(): Promise<BackendInfo> {
  backend ??= initBackend(config.backend).then((info) => {
    backendOnGpu = info.gpu
    return info
  })
  return backend
}

export async function backbone(id: string, onProgress?: (done: number, total: number) => void): Promise<LoadedBackbone> {
  await engine()
  let loading = backbones.get(id)
  if (!loading) {
    loading = loadBackbone(id, { onProgress: onProgress && ((p) => onProgress(p.bytesDone, p.bytesTotal)) })
    backbones.set(id, loading)
    loading.catch(() => backbones.delete(id)) // a failed load (offline, bad checksum) may be retried
  }
  return loading
}

/** The part of a backbone between two layers (null = its input), built once per worker. */
export function segment(bb: LoadedBackbone, from: string | null, to: string): tf.LayersModel {
  const key = `${bb.spec.id}:${from}:${to}`
  let seg = segments.get(key)
  if (!seg) {
    seg = buildSegment(bb.model, from, to)
    segments.set(key, seg)
  }
  return seg
}

/** How this worker runs frozen forwards (the studio's runtime and provider settings). */
export function frozenSettings(): FrozenSettings {
  return {
    runtime: config.runtime ?? 'auto',
    provider: config.provider ?? 'auto',
    threads: Math.max(1, config.onnxThreads ?? (envThreads() || os.availableParallelism())),
    tfjsOnGpu: backendOnGpu
  }
}

/** THAW_ONNX_THREADS overrides the intra-op threads (the bench measures 1 against 2). */
function envThreads(): number {
  const n = Number(process.env.THAW_ONNX_THREADS)
  return Number.isInteger(n) && n > 0 ? n : 0
}

/** Tests play machines with other providers through this. */
export function setFrozenDeps(deps: FrozenDeps): void {
  frozenDeps = deps
}

/** The frozen part of a backbone from its input to `to` (pooled when `reduce` says so), on ONNX
 * Runtime or TF.js as decided on its first batch; one per worker, its session kept until the
 * worker goes. */
export function frozenSegment(bb: LoadedBackbone, to: string, reduce: 'concat-pool' | 'none'): FrozenForward {
  const key = `${bb.spec.id}:${bb.source.sha256}:${to}:${reduce}`
  let f = frozen.get(key) as FrozenForward | undefined
  if (!f) {
    const seg = segment(bb, null, to)
    const model = reduce === 'concat-pool' ? pooled(seg) : seg
    f = new FrozenForward(model, { digest: bb.source.sha256, cut: `input-${to}-${reduce}`, opset: SEGMENT_OPSET }, frozenSettings(), frozenDeps)
    frozen.set(key, f)
  }
  return f
}

/** A segment followed by concat pooling ([avg, max] over space, as the head reads it) as layers,
 * so the pooling converts and runs on ONNX Runtime with the rest. */
export function pooled(seg: tf.LayersModel): tf.LayersModel {
  const map = seg.outputs[0]!
  const avg = tf.layers.globalAveragePooling2d({ name: 'frozen_pool_avg' }).apply(map) as tf.SymbolicTensor
  const max = tf.layers.globalMaxPooling2d({ name: 'frozen_pool_max' }).apply(map) as tf.SymbolicTensor
  const out = tf.layers.concatenate({ name: 'frozen_pool_concat' }).apply([avg, max]) as tf.SymbolicTensor
  return tf.model({ inputs: seg.inputs, outputs: out, name: `${seg.name}__pooled` })
}

/** A whole trained network (the fused image -> probabilities model), frozen for prediction: on
 * ONNX Runtime once converted and checked like a segment, keyed by the digest of its bytes. */
export function frozenModel(net: tf.LayersModel, digest: string): FrozenForward {
  const key = `model:${digest}`
  let f = frozen.get(key) as FrozenForward | undefined
  if (!f) {
    f = new FrozenForward(net, { digest, cut: 'model', opset: SEGMENT_OPSET }, frozenSettings(), frozenDeps)
    frozen.set(key, f)
  }
  return f
}

/** The same for a network loaded for one call: not kept in the worker; the caller releases it
 * (the converted file and its check stay on disk, keyed by the digest and `cut`, which names the
 * part of the network it is: 'model' for all of it). */
export function transientFrozenModel(net: tf.LayersModel, digest: string, cut = 'model'): FrozenForward {
  return new FrozenForward(net, { digest, cut, opset: SEGMENT_OPSET }, frozenSettings(), frozenDeps)
}

/** The frozen parts a training run reads, by where its backbone's weights come from: the
 * published ones (shared, converted once and kept on disk), or a run's own copy, whose weights
 * below a boundary are those of the moment the stage starts (converted in memory per stage, and
 * released with `release`). */
export function frozenParts(
  bb: LoadedBackbone | (LoadedOnnxBackbone & { model: null }),
  own: boolean,
  segmentOf: (from: string | null, to: string) => tf.LayersModel
): { frozen: (to: string, reduce: 'concat-pool' | 'none') => FrozenRunner; release: () => Promise<void> } {
  if (!bb.model) return { frozen: (to, reduce) => onnxFrozen(bb, to, reduce), release: async () => undefined }
  const tfjs = bb as LoadedBackbone
  if (!own) return { frozen: (to, reduce) => frozenSegment(tfjs, to, reduce), release: async () => undefined }
  const made: FrozenForward[] = []
  return {
    frozen: (to, reduce) => {
      const seg = segmentOf(null, to)
      const model = reduce === 'concat-pool' ? pooled(seg) : seg
      const f = new FrozenForward(model, { digest: 'run-own-weights', cut: `input-${to}-${reduce}`, opset: SEGMENT_OPSET }, frozenSettings(), { ...frozenDeps, cache: null })
      made.push(f)
      return f
    },
    release: async () => {
      await Promise.all(made.splice(0).map((f) => f.release()))
    }
  }
}

/** An imported ONNX backbone's file, read and checked once per worker (a failed read, e.g. the
 * file went missing, is retried on the next call). */
export async function onnxBackbone(id: string): Promise<LoadedOnnxBackbone> {
  // the file is re-read when its size or time changed (a re-import, a damaged copy): its digest
  // is checked again then, so a long-lived worker never runs a stale or replaced file
  const file = path.join(backboneDir(defaultCacheDir(), id), ONNX_BACKBONE_FILE)
  const seen = await stat(file).then((st) => `${st.size}:${st.mtimeMs}`, () => 'missing')
  const key = `${id}@${seen}`
  let loading = onnxBackbones.get(key)
  if (!loading) {
    for (const k of onnxBackbones.keys()) if (k.startsWith(`${id}@`)) onnxBackbones.delete(k)
    loading = loadOnnxBackbone(id)
    onnxBackbones.set(key, loading)
    loading.catch(() => onnxBackbones.delete(key))
  }
  return loading
}

/** The frozen forward of an imported ONNX backbone to its feature output, one per worker. */
export function onnxFrozen(ob: LoadedOnnxBackbone, layer: string, reduce: 'concat-pool' | 'none'): FrozenRunner {
  if (layer !== ob.spec.featureLayer) {
    throw new ThawError('BACKBONE_FROZEN_ONLY', `${ob.spec.id} is an imported ONNX backbone: it can be read at its feature output ${ob.spec.featureLayer} only, not at ${layer}`)
  }
  const key = `onnx:${ob.spec.id}:${ob.source.sha256}:${reduce}`
  let f = frozen.get(key)
  if (!f) {
    f = new OnnxBackboneForward(ob.bytes, ob.spec.id, ob.spec.onnx!, reduce, frozenSettings(), frozenDeps)
    frozen.set(key, f)
  }
  return f
}

/** A backbone as the frozen feature path sees it (precompute, embeddings), whatever defines it:
 * a TF.js Layers model cut at a layer and run on ONNX Runtime or TF.js, or an imported ONNX
 * file run on ONNX Runtime. */
export interface FeatureSource {
  spec: BackboneSpec
  sha256: string
  /** [h, w, c] of the map at `layer` */
  mapShape(layer: string): number[]
  frozen(layer: string, reduce: 'concat-pool' | 'none'): FrozenRunner
}

export async function featureSource(id: string): Promise<FeatureSource> {
  await engine()
  const spec = await resolveBackboneSpec(id)
  if (spec.source.kind === 'onnx') {
    const ob = await onnxBackbone(id)
    return { spec: ob.spec, sha256: ob.source.sha256, mapShape: () => [...ob.spec.featureShape], frozen: (layer, reduce) => onnxFrozen(ob, layer, reduce) }
  }
  const bb = await backbone(id)
  return {
    spec: bb.spec,
    sha256: bb.source.sha256,
    mapShape: (layer) => segment(bb, null, layer).outputs[0]!.shape.slice(1) as number[],
    frozen: (layer, reduce) => frozenSegment(bb, layer, reduce)
  }
}

/** Releases this worker's ONNX Runtime sessions (the worker is going away). */
export async function releaseFrozen(): Promise<void> {
  const all = [...frozen.values()]
  frozen.clear()
  await Promise.all(all.map((f) => f.release()))
}

export function projectDb(projectDir: string): Db {
  let db = dbs.get(projectDir)
  if (!db || !db.open) {
    db = openDatabase(path.join(projectDir, DB_FILE), { create: false })
    dbs.set(projectDir, db)
  }
  return db
}

export async function engineStats(): Promise<{ numTensors: number; rssBytes: number }> {
  // asked while the backend is still starting: tf.memory() would throw (and, unhandled, take the
  // worker down); wait for it, and a worker that never started one holds no tensors
  const started = await backend?.catch(() => null)
  return { numTensors: started ? tf.memory().numTensors : 0, rssBytes: process.memoryUsage().rss }
}
