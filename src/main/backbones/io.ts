// tf.io load handlers that read from disk. tfjs's own file:// handler lives in tfjs-node, which
// is optional, so the wasm default needs these.
import * as tf from '@tensorflow/tfjs'
import { createHash } from 'node:crypto'
import path from 'node:path'
import vm from 'node:vm'
import { BackboneError } from './errors'
import { MODEL_FILE_MAX_BYTES, readRegularFile } from '../util/safeRead'

export const MODEL_JSON = 'model.json'

/** What a handler read: the sha256 of every file, in reading order. */
export type FileDigests = Map<string, string>

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** One id for a set of files: changing any byte of any file changes it. Precompute keys its
 * cache rows with this, so swapping weights under the same backbone id never serves old rows. */
export function combinedDigest(digests: Iterable<readonly [string, string]>): string {
  const lines = [...digests].map(([name, sha]) => `${name} ${sha}\n`).sort()
  return createHash('sha256').update(lines.join('')).digest('hex')
}

export function assertLayersModelJSON(json: unknown, where: string): asserts json is tf.io.ModelJSON {
  const notLayers = (why: string): BackboneError =>
    new BackboneError('BACKBONE_NOT_LAYERS_MODEL', `${where} is not a TF.js Layers model: ${why}`)
  if (typeof json !== 'object' || json === null) throw notLayers('model.json is not a JSON object')
  const record = json as Record<string, unknown>
  const topology = record['modelTopology'] as Record<string, unknown> | undefined
  if (record['format'] === 'graph-model' || Array.isArray(topology?.['node'])) {
    throw notLayers(
      'it is a graph model (converted from a SavedModel or frozen graph), which cannot be cut into layers; ' +
        'convert the Keras model with tensorflowjs_converter --output_format tfjs_layers_model'
    )
  }
  if (typeof topology !== 'object' || topology === null) throw notLayers('model.json has no modelTopology')
  const config = (topology['model_config'] ?? topology) as Record<string, unknown>
  if (typeof config['class_name'] !== 'string') throw notLayers('modelTopology has no Keras class_name')
  if (!Array.isArray(record['weightsManifest'])) throw notLayers('model.json has no weightsManifest')
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) {
    return bytes.buffer
  }
  // a copy: Buffer#slice is a view of the same memory (often Node's shared pool), not a copy
  return Uint8Array.prototype.slice.call(bytes).buffer as ArrayBuffer
}

function checkDigest(name: string, actual: string, expected: ReadonlyMap<string, string> | undefined, where: string): void {
  const want = expected?.get(name)
  if (want !== undefined && want !== actual) {
    throw new BackboneError(
      'BACKBONE_CHECKSUM',
      `${path.join(where, name)} has sha256 ${actual}, expected ${want}: the file is damaged or not the published one`
    )
  }
}

/** Manifest paths come from a file the user may have picked: never let one escape its folder. */
function fileInside(dir: string, relative: string): string {
  const full = path.resolve(dir, relative)
  if (!full.startsWith(path.resolve(dir) + path.sep)) {
    throw new BackboneError('BACKBONE_BAD_FOLDER', `${MODEL_JSON} in ${dir} names a weight file outside its folder: ${relative}`)
  }
  return full
}

async function readFileOrExplain(file: string, what: string): Promise<Buffer> {
  try {
    // a regular file only: a FIFO named as a shard would hang the import
    return await readRegularFile(file, { maxBytes: MODEL_FILE_MAX_BYTES, what })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'NOT_FOUND') throw new BackboneError('BACKBONE_BAD_FOLDER', `${what} is missing: ${file}`, { cause: err })
    throw err
  }
}

/** Reads model.json and the shards named by its manifest from `dir`, checking each file against
 * `expected` (file name -> sha256) when given. */
export function folderHandler(dir: string, expected?: ReadonlyMap<string, string>): { handler: tf.io.IOHandler; digests: FileDigests } {
  const digests: FileDigests = new Map()
  const readVerified = async (name: string, what: string): Promise<Buffer> => {
    const bytes = await readFileOrExplain(fileInside(dir, name), what)
    const sha = sha256Hex(bytes)
    checkDigest(name, sha, expected, dir)
    digests.set(name, sha)
    return bytes
  }
  const handler: tf.io.IOHandler = {
    load: async () => {
      const jsonBytes = await readVerified(MODEL_JSON, `${MODEL_JSON} of the model folder`)
      let json: unknown
      try {
        json = JSON.parse(jsonBytes.toString('utf8'))
      } catch (err) {
        throw new BackboneError('BACKBONE_NOT_LAYERS_MODEL', `${path.join(dir, MODEL_JSON)} is not valid JSON`, { cause: err })
      }
      assertLayersModelJSON(json, dir)
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const buffers: ArrayBuffer[] = []
        for (const group of manifest) {
          for (const shard of group.paths) buffers.push(toArrayBuffer(await readVerified(shard, 'a weight shard')))
        }
        return [manifest.flatMap((group) => group.weights), buffers]
      })
    }
  }
  return { handler, digests }
}

/** Runs a UMD bundle in an empty context and returns what it exports. nsfwjs wraps its model
 * JSON and base64 weights this way so bundlers can inline them; a context of its own keeps the
 * 3.5 MB string out of require's cache. */
function evaluateUmd(code: string, file: string): unknown {
  const sandbox = { module: { exports: {} as unknown }, exports: {} }
  vm.runInNewContext(code, sandbox, { filename: file })
  // Objects made in another context fail tfjs's `instanceof Array` checks: copy them into ours.
  const exported = sandbox.module.exports
  return typeof exported === 'object' ? (JSON.parse(JSON.stringify(exported)) as unknown) : exported
}

/** Reads a model shipped as `model.min.js` + `<shard>.min.js` files inside an npm package. */
export function packagedJsHandler(folder: string, expected?: ReadonlyMap<string, string>): { handler: tf.io.IOHandler; digests: FileDigests } {
  const digests: FileDigests = new Map()
  const readVerified = async (name: string): Promise<string> => {
    const bytes = await readFileOrExplain(fileInside(folder, name), 'a file of the packaged model')
    const sha = sha256Hex(bytes)
    checkDigest(name, sha, expected, folder)
    digests.set(name, sha)
    return bytes.toString('utf8')
  }
  const handler: tf.io.IOHandler = {
    load: async () => {
      const modelFile = 'model.min.js'
      const json = evaluateUmd(await readVerified(modelFile), path.join(folder, modelFile))
      assertLayersModelJSON(json, folder)
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const buffers: ArrayBuffer[] = []
        for (const group of manifest) {
          for (const shard of group.paths) {
            const file = `${shard}.min.js`
            const base64 = evaluateUmd(await readVerified(file), path.join(folder, file))
            if (typeof base64 !== 'string') {
              throw new BackboneError('BACKBONE_FALLBACK_MISSING', `${path.join(folder, file)} does not export base64 weights`)
            }
            buffers.push(toArrayBuffer(Buffer.from(base64, 'base64')))
          }
        }
        return [manifest.flatMap((group) => group.weights), buffers]
      })
    }
  }
  return { handler, digests }
}
