// A TF.js Layers model on disk in the standard layout (model.json + binary weight shards), the
// one tf.loadLayersModel reads over HTTP in a browser and from memory in Node.
import * as tf from '@tensorflow/tfjs'
import fs from 'node:fs'
import path from 'node:path'
import type { ModelArtifacts } from '../training/artifacts'
import { FILES } from './bundleFiles'

/** The shard size of tensorflowjs_converter: small enough for browser caches and CDNs. */
const SHARD_BYTES = 4 * 1024 * 1024

interface ModelJson {
  format: 'layers-model'
  generatedBy: string
  convertedBy: string
  modelTopology: object
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[]
}

/** Writes model.json and its shards into `dir`; returns the file names written. */
export function writeTfjsModel(dir: string, art: ModelArtifacts, convertedBy: string): string[] {
  const { modelTopology, weightSpecs } = JSON.parse(art.topology) as { modelTopology: object; weightSpecs: tf.io.WeightsManifestEntry[] }
  const count = Math.max(1, Math.ceil(art.weightData.byteLength / SHARD_BYTES))
  const paths = Array.from({ length: count }, (_, i) => `group1-shard${i + 1}of${count}.bin`)
  paths.forEach((name, i) => fs.writeFileSync(path.join(dir, name), art.weightData.subarray(i * SHARD_BYTES, (i + 1) * SHARD_BYTES)))
  const json: ModelJson = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy,
    modelTopology,
    weightsManifest: [{ paths, weights: weightSpecs }]
  }
  fs.writeFileSync(path.join(dir, FILES.tfjsModel), JSON.stringify(json))
  return [FILES.tfjsModel, ...paths]
}

/** The weight files model.json names, in order (what the manifest check reads first). */
export function weightPaths(json: unknown): unknown[] {
  const manifest = (json as Partial<ModelJson> | null)?.weightsManifest
  return Array.isArray(manifest) ? manifest.flatMap((g) => (Array.isArray(g?.paths) ? (g.paths as unknown[]) : [])) : []
}

/** A Layers model from a parsed model.json and its shards' bytes, in weightPaths order. */
export async function tfjsModelFromParts(json: unknown, shards: Uint8Array[]): Promise<tf.LayersModel> {
  const m = json as ModelJson
  const weightSpecs = m.weightsManifest.flatMap((g) => g.weights)
  const data = Buffer.concat(shards)
  const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: m.modelTopology, weightSpecs, weightData }))
}
