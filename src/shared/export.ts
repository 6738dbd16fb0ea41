// Plain-data types of a deployment bundle: what `thaw export` writes and reports, and what
// `thaw predict <bundle>` reads. Kept apart from types.ts because the model card is a format of
// its own (model-card.json), read by people and programs that have never seen Thaw.
import type { FileProblem } from './types'

export const EXPORT_FORMATS = ['tfjs', 'onnx'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

/** How to turn a picture into the model's input: preprocessing.json. */
export interface BundlePreprocessing {
  /** the batch is open (null), or fixed at 1 when an imported ONNX backbone fixes its own */
  input: { name: string; shape: [null | 1, number, number, 3]; dtype: 'float32'; layout: 'NHWC' }
  size: { width: number; height: number }
  /** 'squash': stretch the whole picture to width x height (aspect ratio not kept, nothing cut
   * off); 'center-crop': scale the short side to the size, then cut the centre */
  resize: 'squash' | 'center-crop'
  /** what the studio resizes with; other resamplers move the probabilities slightly */
  resizeFilter: string
  channels: 'RGB'
  /** the range of the values to feed: plain 8-bit pixel values as floats */
  range: [0, 255]
  /** applied by the model's first layer (x * scale + offset): do not apply it again. An imported
   * ONNX backbone's rule may also reorder the channels (channelOrder BGR, done by the model) and
   * normalise per channel ((x * scale + offset - mean[c]) / std[c], in the model's channel order) */
  scalingInModel: { scale: number; offset: number; mean?: [number, number, number]; std?: [number, number, number]; channelOrder?: 'BGR' }
  colorSpace: 'sRGB'
  orientation: string
  alpha: string
}

/** The equality proof: the bundle, run by its own runtime, against the studio's own model. */
export interface ExportCheck {
  /** validation images compared (decoded once, the same tensors fed to both) */
  images: number
  /** validation images that could not be decoded, so were not compared */
  skipped: FileProblem[]
  /** largest |bundle - studio| over every probability */
  maxAbsDiff: number
  tolerance: number
  /** images whose top-1 labels agree */
  top1Agree: number
  passed: boolean
  /** what ran each side */
  studioRuntime: string
  bundleRuntime: string
  ms: number
}

export interface ModelCardClass {
  name: string
  /** usable labelled images in the project at export time */
  train: number
  valid: number
  test: number
  precision: number
  recall: number
}

/** model-card.json */
export interface ModelCard {
  schema: 'thaw-model-card/1'
  name: string
  exportedAt: string
  trainedAt: string
  studio: { name: 'Thaw Studio'; version: string }
  format: ExportFormat
  model: {
    id: number
    file: string
    runtime: string
    opset: number | null
    parameters: number
    input: BundlePreprocessing['input']
    output: { name: string; shape: [null, number]; meaning: string }
  }
  classes: ModelCardClass[]
  validation: {
    /** measured at export on the project's validation images with the studio's decode */
    images: number
    accuracy: number
    loss: number
    /** rows: actual class, columns: predicted class, in `classes` order */
    confusion: number[][]
    /** what the training run reported on the same split (cached activations may differ slightly) */
    accuracyAtTraining: number
  }
  backbone: {
    id: string
    sha256: string
    inputSize: [number, number]
    featureLayer: string
    /** an ONNX file the user imported (its name): it is inside model.onnx, its names prefixed backbone/ */
    importedOnnx?: { file: string; output: string }
  }
  plan: unknown
  dataset: {
    sha256: string
    rule: string
    images: { train: number; valid: number; test: number }
    /** the validation images differ from those the model was evaluated on when trained */
    changedSinceTraining: boolean
  }
  preprocessing: BundlePreprocessing
  check: ExportCheck
  notes: string[]
}

export interface ExportedFile {
  name: string
  bytes: number
}

export interface ExportResult {
  format: ExportFormat
  dir: string
  modelId: number
  files: ExportedFile[]
  bytes: number
  check: ExportCheck
  card: ModelCard
  ms: number
}

export interface BundleSummary {
  dir: string
  format: ExportFormat
  classes: string[]
}
