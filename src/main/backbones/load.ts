// Turning a backbone id into a ready tf.LayersModel, from the cache, the npm fallback or an
// imported folder, always checked against the sha256 its spec records.
import * as tf from '@tensorflow/tfjs'
import { readFileSync } from 'node:fs'
import { readFile, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { COMPLETE_STAMP, backboneDir, defaultCacheDir, isComplete } from './cache'
import { readCustomSpec, readCustomSpecs } from './custom'
import { BackboneError } from './errors'
import { fetchBackbone, type FetchOptions } from './fetch'
import { combinedDigest, folderHandler, packagedJsHandler, type FileDigests } from './io'
import { ONNX_BACKBONE_FILE } from './onnxImport'
import { BUILTIN_BACKBONES, builtinBackbone } from './registry'
import { frozenOnlyReason, type BackboneSource, type BackboneSpec } from './types'
import { sha256Hex } from './io'

export { importBackboneFromFolder, type ImportFolderOptions } from './custom'

export interface LoadBackboneOptions extends FetchOptions {
  /** false: fail with BACKBONE_NOT_CACHED instead of downloading a missing backbone */
  download?: boolean
}

export interface LoadedBackbone {
  model: tf.LayersModel
  spec: BackboneSpec
  source: {
    kind: BackboneSource['kind']
    /** the folder the weights were read from */
    location: string
    /** digest over the model and weight files' sha256: changes whenever the weights do */
    sha256: string
  }
}

export async function listBackbones(options: { cacheDir?: string } = {}): Promise<BackboneSpec[]> {
  return [...BUILTIN_BACKBONES, ...(await readCustomSpecs(options.cacheDir ?? defaultCacheDir()))]
}

export async function resolveBackboneSpec(id: string, options: { cacheDir?: string } = {}): Promise<BackboneSpec> {
  const spec = builtinBackbone(id) ?? (await readCustomSpec(options.cacheDir ?? defaultCacheDir(), id))
  if (spec) return spec
  const known = (await listBackbones(options)).map((entry) => entry.id).join(', ')
  throw new BackboneError('BACKBONE_UNKNOWN', `no backbone named ${id}; known backbones: ${known}`)
}

export async function loadBackbone(id: string, options: LoadBackboneOptions = {}): Promise<LoadedBackbone> {
  const cacheDir = options.cacheDir ?? defaultCacheDir()
  const spec = await resolveBackboneSpec(id, { cacheDir })
  if (spec.source.kind === 'onnx') throw new BackboneError('BACKBONE_FROZEN_ONLY', `${frozenOnlyReason(spec)}; it has no TF.js model to load`)
  const { model, digests, location } = await loadVerified(spec, cacheDir, options)
  try {
    checkSpecLayers(model, spec)
  } catch (err) {
    model.dispose()
    throw err
  }
  // Freezing is the training plan's business: whatever the file recorded (nsfwjs marks blocks
  // 0-10 frozen from its own training), a backbone starts with every layer trainable.
  for (const layer of model.layers) layer.trainable = true
  return { model, spec, source: { kind: spec.source.kind, location, sha256: weightsDigest(spec, digests) } }
}

/** A downloaded backbone whose cached copy was damaged after the fact (disk error, a user's
 * edit) is fetched again once rather than failing until someone clears the cache by hand. */
async function loadVerified(
  spec: BackboneSpec,
  cacheDir: string,
  options: LoadBackboneOptions
): Promise<{ model: tf.LayersModel; digests: FileDigests; location: string }> {
  const open = async (): Promise<{ model: tf.LayersModel; digests: FileDigests; location: string }> => {
    const { handler, digests, location } = await openSource(spec, cacheDir, options)
    return { model: await tf.loadLayersModel(handler), digests, location }
  }
  try {
    return await open()
  } catch (err) {
    const repairable = spec.source.kind === 'download' && options.download !== false && (err as BackboneError).code === 'BACKBONE_CHECKSUM'
    if (!repairable) throw err
    await rm(path.join(backboneDir(cacheDir, spec.id), COMPLETE_STAMP), { force: true })
    return open()
  }
}

async function openSource(
  spec: BackboneSpec,
  cacheDir: string,
  options: LoadBackboneOptions
): Promise<{ handler: tf.io.IOHandler; digests: FileDigests; location: string }> {
  const expected = new Map(spec.files.map((file) => [file.name, file.sha256]))
  if (spec.source.kind === 'npm-fallback') {
    const folder = path.join(packageFolder(spec.source.package), spec.source.folder)
    return { ...packagedJsHandler(folder, expected), location: folder }
  }
  const dir = backboneDir(cacheDir, spec.id)
  if (!(await isComplete(dir, spec))) {
    if (spec.source.kind === 'folder') {
      throw new BackboneError('BACKBONE_NOT_CACHED', `the imported backbone ${spec.id} is damaged in ${dir}; import it again from its folder`)
    }
    if (options.download === false) {
      throw new BackboneError('BACKBONE_NOT_CACHED', `${spec.id} is not in the cache (${dir}) and downloading was not allowed`)
    }
    await fetchBackbone(spec, { ...options, cacheDir })
  }
  return { ...folderHandler(dir, expected), location: dir }
}

/** The installed package's root folder, found from its entry point (the `exports` map of
 * packages such as nsfwjs hides package.json from require.resolve). */
function packageFolder(name: string): string {
  const requireHere = createRequire(import.meta.url)
  let entry: string
  try {
    entry = requireHere.resolve(name)
  } catch (err) {
    throw new BackboneError('BACKBONE_FALLBACK_MISSING', `the offline fallback needs the npm package ${name}, which is not installed`, { cause: err })
  }
  for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string }
      if (manifest.name === name) return dir
    } catch {
      // no package.json at this level: keep walking up
    }
  }
  throw new BackboneError('BACKBONE_FALLBACK_MISSING', `could not find the folder of the npm package ${name} from ${entry}`)
}

function checkSpecLayers(model: tf.LayersModel, spec: BackboneSpec): void {
  for (const name of [spec.featureLayer, ...spec.groups.map((group) => group.lastLayer)]) {
    try {
      model.getLayer(name)
    } catch (err) {
      throw new BackboneError('BACKBONE_BAD_LAYER', `the ${spec.id} model has no layer ${name}, which its description names`, { cause: err })
    }
  }
}

function weightsDigest(spec: BackboneSpec, digests: FileDigests): string {
  const computing = new Set(spec.files.filter((file) => file.role === 'model' || file.role === 'weights').map((file) => file.name))
  return combinedDigest([...digests].filter(([name]) => computing.has(name)))
}

/** An imported ONNX backbone's file, read from the cache and checked against the sha256 its
 * description recorded at import: a missing or replaced copy says so, with how to mend it. */
export interface LoadedOnnxBackbone {
  spec: BackboneSpec
  bytes: Uint8Array
  source: { kind: 'onnx'; location: string; sha256: string }
}

export async function loadOnnxBackbone(id: string, options: { cacheDir?: string } = {}): Promise<LoadedOnnxBackbone> {
  const cacheDir = options.cacheDir ?? defaultCacheDir()
  const spec = await resolveBackboneSpec(id, { cacheDir })
  if (spec.source.kind !== 'onnx') throw new BackboneError('BACKBONE_UNKNOWN', `${id} is not an imported ONNX backbone`)
  const file = path.join(backboneDir(cacheDir, id), ONNX_BACKBONE_FILE)
  const again = `import it again: thaw import-backbone ${spec.source.importedFrom} --id ${id} (with the same --preprocessing)`
  const bytes = await readFile(file).catch(() => null)
  if (!bytes) throw new BackboneError('BACKBONE_NOT_CACHED', `the ONNX file of the imported backbone ${id} is missing (${file}); ${again}`)
  const expected = spec.files[0]?.sha256
  const sha = sha256Hex(bytes)
  if (sha !== expected) {
    throw new BackboneError(
      'BACKBONE_CHECKSUM',
      `the ONNX file of the imported backbone ${id} changed since it was imported (${file}: sha256 ${sha.slice(0, 12)}, not ${expected?.slice(0, 12)}); ${again}`
    )
  }
  return { spec, bytes, source: { kind: 'onnx', location: file, sha256: sha } }
}
