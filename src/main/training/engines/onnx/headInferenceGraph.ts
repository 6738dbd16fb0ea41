// Runs in the engine worker. The studio's head (../../head.ts) in inference mode as one ONNX
// graph: batch norm on its running statistics, no dropout, logits out. The weights go in as
// inputs, straight from the update arena where the head step keeps them (headStep.ts), so a
// validation pass reads the engine's current weights with no hand-back to TF.js.
import { GraphBuilder, attr } from '../../../export/onnx/graph'
import { HEAD_PARAMS, HEAD_STATS, paramShape, type HeadDims, type HeadStat } from './headGraph'
import { encodeGraph, valueInfo } from './onnxModel'

/** Graph inputs: the batch, the weights, and each batch norm's running statistics. */
export const HEAD_INFERENCE_INPUTS = ['x', ...HEAD_PARAMS, ...HEAD_STATS] as const

export const statShape = (s: HeadStat, d: HeadDims): number[] => [s.startsWith('bn1') ? d.features : d.hidden]

/** The serialized ONNX model (opset 17): x [N, features] -> logits [N, classes]. */
export function headInferenceGraph(d: HeadDims): Uint8Array {
  const g = new GraphBuilder()
  for (const name of HEAD_INFERENCE_INPUTS) g.reserve(name)
  const op = (type: string, inputs: string[], output?: string): string => g.node(type, inputs, {}, type, output)
  // tfjs-layers' inference batch norm: (x - mean) / sqrt(var + eps) * gamma + beta; ONNX's
  // BatchNormalization computes the same over axis 1 of a [N, C] input
  const batchNorm = (x: string, bn: 'bn1' | 'bn2'): string =>
    g.node('BatchNormalization', [x, `${bn}_gamma`, `${bn}_beta`, `${bn}_mean`, `${bn}_var`], { epsilon: attr.float(d.epsilon) }, bn)
  const hidden = op('Relu', [op('Gemm', [batchNorm('x', 'bn1'), 'fc1_kernel', 'fc1_bias'])])
  op('Gemm', [batchNorm(hidden, 'bn2'), 'logits_kernel', 'logits_bias'], g.reserve('logits'))
  return encodeGraph(
    g,
    'head_inference',
    [valueInfo('x', ['N', d.features]), ...HEAD_PARAMS.map((p) => valueInfo(p, paramShape(p, d))), ...HEAD_STATS.map((s) => valueInfo(s, statShape(s, d)))],
    [valueInfo('logits', ['N', d.classes])]
  )
}
