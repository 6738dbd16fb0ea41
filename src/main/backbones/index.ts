// The backbones module's public face: what precompute, training, export and the studio use.
export type { BackboneFile, BackboneSource, BackboneSpec, LayerGroup, OnnxBackboneIo, Preprocessing } from './types'
export { frozenOnlyReason } from './types'
export { BackboneError, type BackboneErrorCode } from './errors'
export { BUILTIN_BACKBONES, DEFAULT_BACKBONE_ID, THAW_MODEL_HOST, builtinBackbone } from './registry'
export { defaultCacheDir, isComplete as isBackboneCached } from './cache'
export { fetchBackbone, type FetchOptions, type FetchProgress, type FetchedBackbone } from './fetch'
export {
  importBackboneFromFolder,
  listBackbones,
  loadBackbone,
  loadOnnxBackbone,
  type LoadedOnnxBackbone,
  resolveBackboneSpec,
  type ImportFolderOptions,
  type LoadBackboneOptions,
  type LoadedBackbone
} from './load'
export { applySegment, buildSegment, describeGroups, type GroupDescription } from './segments'
export { crossingTensor, isSingleTensorCut, inferFeatureLayer, modelGraph } from './graph'
export { resizeOptions, toInputBatch, toInputTensor, type RgbImage } from './preprocess'
export { importOnnxBackbone, ONNX_BACKBONE_FILE, type ImportOnnxOptions } from './onnxImport'
