// ONNX export of TF.js Layers models: convert (tfjsToOnnx) and prove equal (verifyOnnx).
export { DEFAULT_OPSET, MAX_OPSET, MIN_OPSET, type OnnxExportOptions, supportedLayerTypes, tfjsToOnnx, unsupportedLayers } from './convert'
export { OnnxExportError, type OnnxExportErrorCode } from './errors'
export { decodeModel } from './onnxProto'
export { type VerifyOptions, type VerifyResult, verifyOnnx } from './verify'
