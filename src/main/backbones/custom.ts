// Backbones the user brings: a TF.js Layers model folder (model.json + shards) is checked,
// described (input size, feature layer, groups) and copied into the cache, so it keeps working
// when the original folder moves and is loaded exactly like a downloaded backbone.
import * as tf from '@tensorflow/tfjs'
import { readdir, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { backboneDir, defaultCacheDir, writeFileAtomic, writeStamp } from './cache'
import { BackboneError } from './errors'
import { autoGroups, inferFeatureLayer } from './graph'
import { MODEL_JSON, combinedDigest, folderHandler, sha256Hex } from './io'
import { builtinBackbone } from './registry'
import { buildSegment } from './segments'
import type { BackboneFile, BackboneSpec, Preprocessing } from './types'
import { refusePseudoFs } from '../util/pseudoFs'
import { MODEL_FILE_MAX_BYTES, readRegularFile } from '../util/safeRead'

/** Where an imported backbone's description lives, beside its files in the cache. */
export const CUSTOM_SPEC_FILE = 'backbone.json'

export interface ImportFolderOptions {
  /** default: `custom-<folder name>-<first 8 hex of the weights digest>` */
  id?: string
  displayName?: string
  /** [height, width]; required when the model does not fix its input size */
  inputSize?: readonly [number, number]
  /** default: the last 4D layer before the global pooling */
  featureLayer?: string
  /** cannot be read from the weights. Default: MobileNet-style [-1, 1], which the UI should
   * ask the user to confirm */
  preprocessing?: Preprocessing
  cacheDir?: string
}

const DEFAULT_PREPROCESSING: Preprocessing = { resize: 'center-crop', scale: 1 / 127.5, offset: -1, channels: 'RGB' }
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/

export async function importBackboneFromFolder(folder: string, options: ImportFolderOptions = {}): Promise<BackboneSpec> {
  const source = path.resolve(folder)
  await assertModelFolder(source)
  const { handler, digests } = folderHandler(source)
  let model: tf.LayersModel
  try {
    model = await tf.loadLayersModel(handler)
  } catch (err) {
    if (err instanceof BackboneError) throw err
    throw new BackboneError('BACKBONE_NOT_LAYERS_MODEL', `${source} could not be loaded as a TF.js Layers model: ${(err as Error).message}`, { cause: err })
  }
  try {
    const inputSize = inputSizeOf(model, options.inputSize, source)
    const featureLayer = options.featureLayer ?? inferFeatureLayer(model)
    const featureShape = featureShapeOf(model, featureLayer, inputSize)
    const weightsSha = combinedDigest(digests)
    const id = options.id ?? `custom-${slug(path.basename(source))}-${weightsSha.slice(0, 8)}`
    if (!ID_PATTERN.test(id)) throw new BackboneError('BACKBONE_BAD_FOLDER', `${id} cannot be a backbone id: use letters, digits, '.', '_' and '-'`)
    if (builtinBackbone(id)) throw new BackboneError('BACKBONE_BAD_FOLDER', `${id} is the id of a built-in backbone; choose another`)

    const dir = backboneDir(options.cacheDir ?? defaultCacheDir(), id)
    const files = await copyIntoCache(source, dir, digests)
    const spec: BackboneSpec = {
      id,
      displayName: options.displayName ?? `${path.basename(source)} (imported)`,
      description: `Imported from ${source}`,
      inputSize,
      preprocessing: options.preprocessing ?? DEFAULT_PREPROCESSING,
      licence: { name: 'as stated by its author (imported by the user)' },
      source: { kind: 'folder', importedFrom: source, origin: `the folder ${source}` },
      files,
      featureLayer,
      featureShape,
      groups: autoGroups(model, featureLayer),
      params: model.countParams()
    }
    await writeFileAtomic(path.join(dir, CUSTOM_SPEC_FILE), JSON.stringify(spec, null, 2))
    await writeStamp(dir, id, digests)
    return spec
  } finally {
    model.dispose()
  }
}

async function assertModelFolder(folder: string): Promise<void> {
  refusePseudoFs(folder, 'the model folder')
  const info = await stat(folder).catch(() => null)
  if (!info) throw new BackboneError('BACKBONE_BAD_FOLDER', `${folder} does not exist`)
  if (!info.isDirectory()) throw new BackboneError('BACKBONE_BAD_FOLDER', `${folder} is not a folder; choose the folder that holds model.json`)
  if (!(await stat(path.join(folder, MODEL_JSON)).then((s) => s.isFile(), () => false))) {
    throw new BackboneError(
      'BACKBONE_NOT_LAYERS_MODEL',
      `${folder} has no ${MODEL_JSON}: a TF.js Layers model folder holds model.json and its weight shards`
    )
  }
}

function inputSizeOf(model: tf.LayersModel, given: readonly [number, number] | undefined, source: string): readonly [number, number] {
  if (model.inputs.length !== 1) throw new BackboneError('BACKBONE_NOT_LAYERS_MODEL', `${source} has ${model.inputs.length} inputs; a backbone takes one image`)
  const shape = (model.inputs[0] as tf.SymbolicTensor).shape
  if (shape.length !== 4 || (shape[3] !== null && shape[3] !== 3)) {
    throw new BackboneError('BACKBONE_NOT_LAYERS_MODEL', `${source} takes input of shape ${JSON.stringify(shape)}; a backbone takes [batch, height, width, 3] images`)
  }
  const [, height, width] = shape
  if (given) {
    if ((height !== null && height !== given[0]) || (width !== null && width !== given[1])) {
      throw new BackboneError('BACKBONE_BAD_FOLDER', `${source} takes ${height}x${width} images, not the ${given[0]}x${given[1]} given`)
    }
    return given
  }
  if (height === null || width === null || height === undefined || width === undefined) {
    throw new BackboneError('BACKBONE_BAD_FOLDER', `${source} accepts any image size; say which input size it was trained at`)
  }
  return [height, width]
}

/** Computed by running a blank image through the trunk: it also proves the model runs here. */
function featureShapeOf(model: tf.LayersModel, featureLayer: string, [height, width]: readonly [number, number]): [number, number, number] {
  const trunk = buildSegment(model, null, featureLayer)
  try {
    const shape = tf.tidy(() => (trunk.predict(tf.zeros([1, height, width, 3])) as tf.Tensor).shape)
    if (shape.length !== 4) throw new BackboneError('BACKBONE_BAD_LAYER', `${featureLayer} gives a ${shape.length}D output; the feature layer must give a feature map`)
    return [shape[1] as number, shape[2] as number, shape[3] as number]
  } finally {
    trunk.dispose()
  }
}

async function copyIntoCache(source: string, dir: string, digests: ReadonlyMap<string, string>): Promise<BackboneFile[]> {
  const files: BackboneFile[] = []
  for (const [name, sha] of digests) {
    const bytes = await readRegularFile(path.join(source, name), { maxBytes: MODEL_FILE_MAX_BYTES, what: 'a model file' })
    if (sha256Hex(bytes) !== sha) throw new BackboneError('BACKBONE_BAD_FOLDER', `${path.join(source, name)} changed while it was being imported`)
    await writeFileAtomic(path.join(dir, name), bytes)
    files.push({ name, bytes: bytes.byteLength, sha256: sha, role: name === MODEL_JSON ? 'model' : 'weights' })
  }
  return files
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'model'
}

export async function readCustomSpec(cacheDir: string, id: string): Promise<BackboneSpec | undefined> {
  if (!ID_PATTERN.test(id)) return undefined
  try {
    const spec = JSON.parse(await readFile(path.join(backboneDir(cacheDir, id), CUSTOM_SPEC_FILE), 'utf8')) as BackboneSpec
    return spec.id === id && (spec.source.kind === 'folder' || spec.source.kind === 'onnx') ? spec : undefined
  } catch {
    return undefined
  }
}

export async function readCustomSpecs(cacheDir: string): Promise<BackboneSpec[]> {
  const entries = await readdir(cacheDir, { withFileTypes: true }).catch(() => [])
  const specs = await Promise.all(entries.filter((entry) => entry.isDirectory()).map((entry) => readCustomSpec(cacheDir, entry.name)))
  return specs.filter((spec): spec is BackboneSpec => spec !== undefined)
}
