// The files of a deployment bundle and how to tell a bundle folder from a project folder.
import fs from 'node:fs'
import path from 'node:path'
import type { BundlePreprocessing, ExportFormat } from '../../shared/export'
import { ThawError } from '../errors'

export const FILES = {
  tfjsModel: 'model.json',
  onnxModel: 'model.onnx',
  labels: 'labels.json',
  preprocessing: 'preprocessing.json',
  cardJson: 'model-card.json',
  cardMd: 'MODEL_CARD.md',
  predict: 'predict.mjs',
  page: 'index.html',
  pageScript: 'classify.js',
  packageJson: 'package.json',
  vendor: 'vendor',
  /** sha256 of every file (manifest.ts) */
  manifest: 'manifest.json'
} as const

/** The graph's input and output names, the same in both formats. */
export const INPUT_NAME = 'image'
export const OUTPUT_NAME = 'probabilities'

/** Which format a folder holds, or null when it is not a bundle. */
export function bundleFormat(dir: string): ExportFormat | null {
  if (!fs.existsSync(path.join(dir, FILES.labels))) return null
  if (fs.existsSync(path.join(dir, FILES.tfjsModel))) return 'tfjs'
  if (fs.existsSync(path.join(dir, FILES.onnxModel))) return 'onnx'
  return null
}

/** Whether a folder means to be a bundle (even a broken one): then `thaw predict` treats it as
 * one and says what is missing, instead of calling it a bad project. */
export function looksLikeBundle(dir: string): boolean {
  return [FILES.labels, FILES.tfjsModel, FILES.onnxModel].some((f) => fs.existsSync(path.join(dir, f)))
}

function readJson(dir: string, name: string): unknown {
  const file = path.join(dir, name)
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new ThawError('BAD_BUNDLE', `cannot read ${file}: ${code ?? (err as Error).message}`)
  }
}

export interface BundleMeta {
  format: ExportFormat
  labels: string[]
  preprocessing: BundlePreprocessing
}

/** A bundle's labels and preprocessing, checked enough to feed the model correctly (read as they
 * are; openBundle reads them through the manifest check instead). */
export function readBundleMeta(dir: string): BundleMeta {
  return parseBundleMeta(dir, requireFormat(dir), readJson(dir, FILES.labels), readJson(dir, FILES.preprocessing))
}

export function requireFormat(dir: string): ExportFormat {
  const format = bundleFormat(dir)
  if (!format) {
    throw new ThawError('NOT_A_BUNDLE', `${dir} is not an exported bundle (it needs ${FILES.labels} and ${FILES.tfjsModel} or ${FILES.onnxModel})`)
  }
  return format
}

export function parseBundleMeta(dir: string, format: ExportFormat, labels: unknown, preprocessing: unknown): BundleMeta {
  if (!Array.isArray(labels) || labels.length < 2 || !labels.every((l) => typeof l === 'string')) {
    throw new ThawError('BAD_BUNDLE', `${path.join(dir, FILES.labels)} must be a list of at least two class names`)
  }
  const pre = preprocessing as Partial<BundlePreprocessing> | null
  const ok =
    !!pre &&
    Number.isInteger(pre.size?.width) &&
    Number.isInteger(pre.size?.height) &&
    (pre.resize === 'squash' || pre.resize === 'center-crop') &&
    pre.channels === 'RGB'
  if (!ok) throw new ThawError('BAD_BUNDLE', `${path.join(dir, FILES.preprocessing)} lacks size, resize or channels`)
  return { format, labels: labels as string[], preprocessing: pre as BundlePreprocessing }
}
