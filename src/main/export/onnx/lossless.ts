// A user's ONNX file read and written back whole: protobufjs messages decoded with the complete
// schema (onnxProto.ts), int64 values kept as Long (no rounding above 2^53), and any field the
// schema does not know (a newer IR version's) kept as its raw bytes and written back unchanged.
// What the export changes in such a file (names, nodes, the graph's inputs) goes through these
// types; everything else passes through untouched.
import protobuf from 'protobufjs'
import { ONNX_PROTO } from './onnxProto'

/** int64 fields: a Long when decoded, a plain number when the studio writes one. */
export type Int64 = number | { toNumber(): number }

export interface StringEntry {
  key?: string
  value?: string
}

export interface LTensor {
  name?: string
  dims?: Int64[]
  dataType?: number
  rawData?: Uint8Array
  externalData?: StringEntry[]
  /** 1: EXTERNAL (the values live in another file) */
  dataLocation?: number
}

export interface LSparseTensor {
  values?: LTensor | null
  indices?: LTensor | null
  dims?: Int64[]
}

export interface LAttribute {
  name?: string
  type?: number
  t?: LTensor | null
  g?: LGraph | null
  sparseTensor?: LSparseTensor | null
  tensors?: LTensor[]
  graphs?: LGraph[]
  sparseTensors?: LSparseTensor[]
}

export interface LNode {
  input: string[]
  output: string[]
  name?: string
  opType?: string
  domain?: string
  attribute?: LAttribute[]
}

export interface LValueInfo {
  name?: string
  type?: unknown
}

export interface LTensorAnnotation {
  tensorName?: string
  quantParameterTensorNames?: StringEntry[]
}

export interface LGraph {
  name?: string
  node: LNode[]
  initializer: LTensor[]
  sparseInitializer: LSparseTensor[]
  input: LValueInfo[]
  output: LValueInfo[]
  valueInfo: LValueInfo[]
  quantizationAnnotation: LTensorAnnotation[]
  docString?: string
}

export interface LFunction {
  name?: string
  domain?: string
  node: LNode[]
}

export interface LOpset {
  domain?: string
  version?: Int64
}

export interface LModel {
  irVersion?: Int64
  opsetImport: LOpset[]
  producerName?: string
  producerVersion?: string
  docString?: string
  graph?: LGraph | null
  metadataProps: StringEntry[]
  trainingInfo: unknown[]
  functions: LFunction[]
}

let modelType: protobuf.Type | undefined

function type(): protobuf.Type {
  modelType ??= protobuf.parse(ONNX_PROTO).root.lookupType('onnx.ModelProto')
  return modelType
}

export const toNumber = (v: Int64 | undefined | null): number => (v == null ? 0 : typeof v === 'number' ? v : v.toNumber())

/** Reads a serialized ModelProto, keeping every field (unknown ones as raw bytes). Repeated
 * fields that were empty in the file may be shared frozen arrays: replace them, never push. */
export function readModel(bytes: Uint8Array): LModel {
  const reader = protobuf.Reader.create(bytes)
  reader.discardUnknown = false
  return type().decode(reader) as unknown as LModel
}

export function writeModel(model: LModel): Uint8Array {
  return type().encode(model as unknown as protobuf.Message).finish()
}
