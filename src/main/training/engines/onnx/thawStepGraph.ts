// Runs in the engine worker. One training step of a thawing stage as one ONNX graph: the batch
// (cached cut activations or images, NHWC as TF.js holds them) transposed to NCHW, the thawed
// backbone segment (segmentGraph.ts: forward, batch norm on batch statistics, backward), concat
// pooling (concatPoolGraph.ts) and the studio's head with its loss (headGraph.ts). Weights are
// inputs and gradients outputs, as in the head-only step, so the session keeps nothing between
// steps and ONNX Runtime writes the gradients straight into the update arena. (Validation runs
// the exporter's network instead, with the weights as constants: thawStep.ts's `predict`.)
import type * as tf from '@tensorflow/tfjs'
import { attr, GraphBuilder } from '../../../export/onnx/graph'
import type { ValueInfo } from '../../../export/onnx/onnxProto'
import { addConcatPool } from './concatPoolGraph'
import { addHeadTraining, HEAD_PARAMS, HEAD_STATS, paramShape, type HeadDims, type HeadParam, type HeadStat } from './headGraph'
import { encodeGraph, valueInfo } from './onnxModel'
import { addSegment, type SegmentGraph } from './segmentGraph'

/** Graph names of the head's inputs and outputs (apart from the segment's). */
export const headInput = (p: HeadParam | HeadStat): string => `head/${p}`
export const headGrad = (p: HeadParam): string => `grad/head/${p}`
export const headBatchStat = (s: HeadStat): string => `batch/head/${s}`

export interface ThawGraph {
  model: Uint8Array
  segment: SegmentGraph
  /** per segment parameter (segment.params order), the graph output holding its gradient */
  segmentGrads: string[]
  /** per segment batch norm (segment.batchStats order), the outputs of its batch statistics */
  segmentStats: { mean: string; variance: string }[]
}

/** `inputShape`: one example's NHWC shape [h, w, c] (the segment's input). `batch`: the graph
 * runs at that batch size only, which makes its depthwise convolutions cheaper (addSegment);
 * `nchwcBlock`: ONNX Runtime's NCHWc block here (nchwcBlockSize), for its depthwise kernels. */
export function thawTrainingGraph(segment: tf.LayersModel, dims: HeadDims, inputShape: [number, number, number], batch?: number, nchwcBlock?: number | null): ThawGraph | string {
  const g = new GraphBuilder()
  const inputs: ValueInfo[] = [valueInfo('x', ['N', ...inputShape]), valueInfo('target', ['N', dims.classes]), valueInfo('mask1', ['N', dims.features]), valueInfo('mask2', ['N', dims.hidden])]
  for (const i of inputs) g.reserve(i.name)
  for (const p of HEAD_PARAMS) inputs.push(valueInfo(g.reserve(headInput(p)), paramShape(p, dims)))
  const outputs: ValueInfo[] = [valueInfo(g.reserve('loss'), [])]
  const headOutputs: Parameters<typeof addHeadTraining>[4] = { outputs: { loss: 'loss' }, inputGrad: true }
  for (const p of HEAD_PARAMS) {
    headOutputs.outputs![`grad_${p}`] = g.reserve(headGrad(p))
    outputs.push(valueInfo(headGrad(p), paramShape(p, dims)))
  }
  for (const s of HEAD_STATS) {
    headOutputs.outputs![s] = g.reserve(headBatchStat(s))
    outputs.push(valueInfo(headBatchStat(s), [1, s.startsWith('bn1') ? dims.features : dims.hidden]))
  }

  const nchw = g.node('Transpose', ['x'], { perm: attr.ints([0, 3, 1, 2]) }, 'input')
  const seg = addSegment(g, segment, nchw, { training: true, ...(batch === undefined ? {} : { batch }), nchwcBlock: nchwcBlock ?? null })
  if (typeof seg === 'string') return seg
  const [, c, h, w] = seg.outputShape
  if (2 * c !== dims.features) return `the head takes ${dims.features} features, the segment gives ${2 * c} (2 x ${c} channels)`
  const pool = addConcatPool(g, seg.output, { c, h, w })
  const head = addHeadTraining(g, dims, pool.pooled, (input) => (input === 'target' || input === 'mask1' || input === 'mask2' ? input : headInput(input)), headOutputs)
  const grads = seg.backward(pool.backward(head.dFeatures!))

  for (const p of seg.params) inputs.push(valueInfo(p.name, p.shape))
  // the segment's values leave the graph by their own names (ONNX Runtime then writes them
  // straight into preallocated arrays); a value asked for twice gets an Identity copy
  const taken = new Set(outputs.map((o) => o.name))
  const output = (value: string, shape: number[]): string => {
    const name = taken.has(value) ? g.node('Identity', [value], {}, 'output') : value
    taken.add(name)
    outputs.push(valueInfo(name, shape))
    return name
  }
  const segmentGrads: string[] = []
  for (const p of seg.params) {
    const grad = grads.get(p.name)
    if (!grad) return `the segment graph gives no gradient for ${p.name}`
    segmentGrads.push(output(grad, p.shape))
  }
  const segmentStats = seg.batchStats.map((s) => {
    const channels = s.layer.nonTrainableWeights[0]!.shape[0]!
    return { mean: output(s.mean, [channels]), variance: output(s.variance, [channels]) }
  })
  return { model: encodeGraph(g, 'thaw_train_step', inputs, outputs), segment: seg, segmentGrads, segmentStats }
}
