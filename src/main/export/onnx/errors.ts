import { ThawError } from '../../errors'

export type OnnxExportErrorCode =
  | 'ONNX_UNSUPPORTED_LAYER' // a layer type (or a setting of one) with no ONNX translation here
  | 'ONNX_BAD_MODEL' // the model itself cannot be exported (non-float input, unknown shapes...)
  | 'ONNX_BAD_OPTIONS' // an option out of range, e.g. an opset below 13
  | 'ONNX_VERIFY' // verifyOnnx was given inputs that do not fit the model

export class OnnxExportError extends ThawError {
  constructor(
    override readonly code: OnnxExportErrorCode,
    message: string
  ) {
    super(code, message)
    this.name = 'OnnxExportError'
  }
}
