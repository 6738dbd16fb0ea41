// The ONNX messages this exporter writes, parsed once with protobufjs. The schema lives in this
// .ts file (not a .proto beside it) so that the Electron main bundle carries it without a copy step.
import protobuf from 'protobufjs'

/**
 * A subset of onnx/onnx.proto from github.com/onnx/onnx at commit 004aa57f442055b51af980769883b544ac4f87f2
 * (IR version 7, released under the MIT license; later versions only add fields and keep these
 * numbers). Names and field numbers are ONNX's; messages and fields this exporter never writes are left
 * out (readers skip unknown fields, so a full onnx.proto decodes these files unchanged).
 */
export const ONNX_PROTO = `
// Copyright (c) ONNX Project Contributors.
// Licensed under the MIT license.
//
// MIT License
//
// Permission is hereby granted, free of charge, to any person obtaining a copy of this software
// and associated documentation files (the "Software"), to deal in the Software without
// restriction, including without limitation the rights to use, copy, modify, merge, publish,
// distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
// Software is furnished to do so, subject to the following conditions:
//
// The above copyright notice and this permission notice shall be included in all copies or
// substantial portions of the Software.
//
// THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING
// BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
// NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
// DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
// OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.

syntax = "proto2";

package onnx;

message AttributeProto {
  enum AttributeType {
    UNDEFINED = 0;
    FLOAT = 1;
    INT = 2;
    STRING = 3;
    TENSOR = 4;
    GRAPH = 5;
    SPARSE_TENSOR = 11;
    FLOATS = 6;
    INTS = 7;
    STRINGS = 8;
    TENSORS = 9;
    GRAPHS = 10;
    SPARSE_TENSORS = 12;
  }
  optional string name = 1;
  optional string ref_attr_name = 21;
  optional string doc_string = 13;
  optional AttributeType type = 20;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  repeated TensorProto tensors = 10;
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
  optional string doc_string = 3;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  optional string domain = 7;
  repeated AttributeProto attribute = 5;
  optional string doc_string = 6;
}

message ModelProto {
  optional int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated StringStringEntryProto metadata_props = 14;
}

message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  optional string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
}

message TensorProto {
  enum DataType {
    UNDEFINED = 0;
    FLOAT = 1;
    UINT8 = 2;
    INT8 = 3;
    UINT16 = 4;
    INT16 = 5;
    INT32 = 6;
    INT64 = 7;
    STRING = 8;
    BOOL = 9;
    FLOAT16 = 10;
    DOUBLE = 11;
    UINT32 = 12;
    UINT64 = 13;
    COMPLEX64 = 14;
    COMPLEX128 = 15;
    BFLOAT16 = 16;
  }
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated bytes string_data = 6;
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional string doc_string = 12;
  optional bytes raw_data = 9;
  repeated double double_data = 10 [packed = true];
  repeated uint64 uint64_data = 11 [packed = true];
}

message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    };
    optional string denotation = 3;
  };
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
  }
  optional string denotation = 6;
}

message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}
`

// Plain-data mirrors of the messages above, in protobufjs's camelCase. int64 fields are plain
// numbers: every value this exporter writes (shapes, attributes, versions) is far below 2^53.
export interface TensorShapeDim {
  dimValue?: number
  dimParam?: string
}
export interface ValueInfo {
  name: string
  type: { tensorType: { elemType: number; shape: { dim: TensorShapeDim[] } } }
}
export interface TensorMessage {
  name: string
  dims: number[]
  dataType: number
  rawData: Uint8Array
}
export interface AttributeMessage {
  name: string
  type: number
  f?: number
  i?: number
  s?: Uint8Array
  floats?: number[]
  ints?: number[]
}
export interface NodeMessage {
  name: string
  opType: string
  input: string[]
  output: string[]
  attribute: AttributeMessage[]
}
export interface GraphMessage {
  name: string
  node: NodeMessage[]
  initializer: TensorMessage[]
  input: ValueInfo[]
  output: ValueInfo[]
  docString?: string
}
export interface ModelMessage {
  irVersion: number
  opsetImport: { domain: string; version: number }[]
  producerName: string
  producerVersion?: string
  docString?: string
  graph: GraphMessage
  metadataProps?: { key: string; value: string }[]
}

/** Numeric codes from the enums above, used where the plain-data objects need them. */
export const DataType = { FLOAT: 1, INT64: 7 } as const
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const

let modelType: protobuf.Type | undefined

function onnxModelType(): protobuf.Type {
  modelType ??= protobuf.parse(ONNX_PROTO).root.lookupType('onnx.ModelProto')
  return modelType
}

export function encodeModel(model: ModelMessage): Uint8Array {
  const type = onnxModelType()
  const problem = type.verify(model)
  if (problem) throw new Error(`internal: the ONNX model does not fit onnx.ModelProto: ${problem}`)
  return type.encode(model).finish()
}

/** Decodes a serialized ModelProto into plain data (int64 as numbers, bytes as Uint8Array). */
export function decodeModel(bytes: Uint8Array): ModelMessage {
  const type = onnxModelType()
  const message = type.decode(bytes)
  return type.toObject(message, { longs: Number, defaults: false, arrays: true }) as ModelMessage
}
