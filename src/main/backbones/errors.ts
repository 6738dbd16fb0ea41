// A `code` string property is what src/main/errors.ts's toErrorInfo() forwards to clients, so
// these errors reach the UI with a stable code without this module depending on the service.

export type BackboneErrorCode =
  | 'BACKBONE_UNKNOWN'
  | 'BACKBONE_NOT_FOUND'
  | 'BACKBONE_HTTP_ERROR'
  | 'BACKBONE_NETWORK'
  | 'BACKBONE_CHECKSUM'
  | 'BACKBONE_MIRROR_MISSING'
  | 'BACKBONE_NOT_CACHED'
  | 'BACKBONE_NOT_LAYERS_MODEL'
  | 'BACKBONE_BAD_FOLDER'
  | 'BACKBONE_BAD_LAYER'
  | 'BACKBONE_FALLBACK_MISSING'
  | 'BACKBONE_BAD_IMAGE'
  // imported ONNX backbones (onnxImport.ts)
  | 'BACKBONE_NOT_ONNX'
  | 'BACKBONE_NO_IMAGE_INPUT'
  | 'BACKBONE_DYNAMIC_SHAPE'
  | 'BACKBONE_SEVERAL_OUTPUTS'
  | 'BACKBONE_FROZEN_ONLY'
  | 'BACKBONE_NO_PREPROCESSING'

export class BackboneError extends Error {
  constructor(
    readonly code: BackboneErrorCode,
    message: string,
    options?: { cause?: unknown }
  ) {
    super(message, options)
    this.name = 'BackboneError'
  }
}
