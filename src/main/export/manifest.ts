// Tamper evidence for exported bundles. The export writes manifest.json: the sha256 of every
// file it wrote. `thaw predict <bundle>` (and the bundle's own predict.mjs, which repeats these
// checks in plain JavaScript) reads what decides a prediction (the model and its weights,
// labels.json, preprocessing.json) only through here: each path must stay inside the bundle
// (no "..", no absolute path, no link that leads out), must be listed, and must have the listed
// digest; the bytes checked are the bytes used, so nothing can change between check and load.
// It catches edits and damage, not a forger who rewrites the manifest as well (that needs a
// signature, and a key the user keeps).
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { ThawError } from '../errors'
import { JSON_MAX_BYTES, MODEL_FILE_MAX_BYTES, readRegularFileSync } from '../util/safeRead'

export const MANIFEST_FILE = 'manifest.json'
export const MANIFEST_FORMAT = 'thaw-bundle-manifest/1'

export type BundleCheckCode =
  /** no manifest.json: exported before bundles had one, or not by Thaw */
  | 'BUNDLE_NO_MANIFEST'
  /** manifest.json is not a manifest */
  | 'BUNDLE_BAD_MANIFEST'
  /** a file's bytes differ from its digest in the manifest */
  | 'BUNDLE_TAMPERED'
  /** a path (in the manifest or in model.json) leaves the bundle */
  | 'BUNDLE_PATH_OUTSIDE'
  /** a file the model needs is not listed in the manifest */
  | 'BUNDLE_UNLISTED_FILE'
  /** a listed file is gone */
  | 'BUNDLE_MISSING_FILE'
  /** labels.json names another number of classes than the model has outputs */
  | 'BUNDLE_LABELS_MISMATCH'

export class BundleCheckError extends ThawError {
  constructor(
    override readonly code: BundleCheckCode,
    message: string
  ) {
    super(code, message)
    this.name = 'BundleCheckError'
  }
}

export interface BundleManifest {
  format: typeof MANIFEST_FORMAT
  algorithm: 'sha256'
  /** path inside the bundle ('/' separators) -> lower-case hex sha256 */
  files: Record<string, string>
}

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

function listFiles(dir: string, prefix = ''): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]))
    .filter((name) => name !== MANIFEST_FILE)
    .sort()
}

/** Writes manifest.json over every file now in `dir` (run again after adding files). */
export function writeManifest(dir: string): BundleManifest {
  const files: Record<string, string> = {}
  for (const name of listFiles(dir)) files[name] = sha256(fs.readFileSync(path.join(dir, name)))
  const manifest: BundleManifest = { format: MANIFEST_FORMAT, algorithm: 'sha256', files }
  fs.writeFileSync(path.join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`)
  return manifest
}

/**
 * The absolute path of `rel` inside the bundle, or BUNDLE_PATH_OUTSIDE: an absolute path, a
 * ".." part, or a link whose target lies outside the bundle folder. `from` names where the
 * path was written ("model.json", "manifest.json"), for the message.
 */
export function insideBundle(dir: string, rel: unknown, from: string): string {
  const outside = (why: string): BundleCheckError =>
    new BundleCheckError('BUNDLE_PATH_OUTSIDE', `${from} in ${dir} names ${JSON.stringify(rel)}, ${why}; a bundle reads only its own files`)
  if (typeof rel !== 'string' || rel === '') throw outside('which is not a file name')
  if (path.isAbsolute(rel) || path.win32.isAbsolute(rel) || rel.includes('\0')) throw outside('an absolute path')
  if (rel.split(/[\\/]/).includes('..')) throw outside('a path that leaves the bundle folder')
  const root = fs.realpathSync(dir)
  const abs = path.resolve(root, rel)
  let real: string
  try {
    real = fs.realpathSync(abs)
  } catch {
    return abs // missing: the read says so
  }
  if (!real.startsWith(root + path.sep)) throw outside(`a link to ${real} outside the bundle folder`)
  return abs
}

export function readManifest(dir: string): BundleManifest {
  const file = path.join(dir, MANIFEST_FILE)
  if (!fs.existsSync(file)) {
    throw new BundleCheckError(
      'BUNDLE_NO_MANIFEST',
      `${dir} has no ${MANIFEST_FILE}, so its files cannot be checked (exported by an older Thaw Studio, or not by Thaw): export it again`
    )
  }
  let data: unknown
  try {
    data = JSON.parse(readRegularFileSync(file, { maxBytes: JSON_MAX_BYTES, what: `the bundle's ${MANIFEST_FILE}` }).toString('utf8'))
  } catch (err) {
    if (err instanceof ThawError) throw err
    throw new BundleCheckError('BUNDLE_BAD_MANIFEST', `${file} is not valid JSON`)
  }
  const m = data as Partial<BundleManifest> | null
  const ok =
    !!m &&
    m.format === MANIFEST_FORMAT &&
    m.algorithm === 'sha256' &&
    typeof m.files === 'object' &&
    m.files !== null &&
    Object.values(m.files).every((d) => typeof d === 'string' && /^[0-9a-f]{64}$/.test(d))
  if (!ok) throw new BundleCheckError('BUNDLE_BAD_MANIFEST', `${file} is not a ${MANIFEST_FORMAT} manifest (format, algorithm sha256, files: name -> digest)`)
  for (const name of Object.keys(m.files!)) insideBundle(dir, name, MANIFEST_FILE)
  return m as BundleManifest
}

/** The bytes of one bundle file, after its path and digest passed; these bytes are what is used. */
export function readVerified(dir: string, manifest: BundleManifest, rel: string, from: string): Buffer {
  const abs = insideBundle(dir, rel, from)
  const key = rel.split(path.sep).join('/')
  const want = manifest.files[key]
  if (!want) throw new BundleCheckError('BUNDLE_UNLISTED_FILE', `${key} in ${dir} is not listed in ${MANIFEST_FILE}: it was not written by the export`)
  if (!fs.existsSync(abs)) throw new BundleCheckError('BUNDLE_MISSING_FILE', `${key} is missing from ${dir} (${MANIFEST_FILE} lists it)`)
  const bytes = readRegularFileSync(abs, { maxBytes: MODEL_FILE_MAX_BYTES, what: `the bundle file ${key}` })
  const got = sha256(bytes)
  if (got !== want) {
    throw new BundleCheckError(
      'BUNDLE_TAMPERED',
      `${key} in ${dir} was changed after export: its sha256 is ${got.slice(0, 12)}…, ${MANIFEST_FILE} says ${want.slice(0, 12)}…; export the bundle again`
    )
  }
  return bytes
}

/** labels.json against the model's output width. */
export function checkLabelCount(dir: string, labels: number, outputs: number): void {
  if (labels !== outputs) {
    throw new BundleCheckError(
      'BUNDLE_LABELS_MISMATCH',
      `labels.json in ${dir} names ${labels} classes but the model gives ${outputs} outputs: labels and model do not belong together`
    )
  }
}
