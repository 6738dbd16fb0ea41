// Runs in the engine worker. The forward and backward pass of the studio's head (fastai's: BN,
// dropout, dense + ReLU, BN, dropout, dense; see ../head.ts) written out as one ONNX graph, so
// that ONNX Runtime's native matrix products (MLAS, every core) compute a training step's
// gradients. TF.js on wasm runs the same products on one thread through XNNPACK, repacking the
// 2560 x 512 kernel at every step: that was 70% of a head step.
//
// The graph is a pure function of the batch and the weights: weights go in as inputs and
// gradients come out, so nothing is kept inside the session between steps and the optimizer
// (fusedOptimizers.ts) updates the weights in place in JavaScript arrays.
import { GraphBuilder, attr, type Attr } from '../../../export/onnx/graph'
import { DataType, encodeModel, type ValueInfo } from '../../../export/onnx/onnxProto'

export interface HeadDims {
  /** features in (concat-pooled: 2x the backbone's channels) */
  features: number
  hidden: number
  classes: number
  /** both batch-norm layers' epsilon */
  epsilon: number
}

/** Graph inputs, in the order the trainer feeds them. `target` is the one-hot label scaled by the
 * example's share of the batch loss (its class weight over the batch's total weight), so the
 * loss is PyTorch's weighted mean cross-entropy; `mask1`/`mask2` are the dropout multipliers
 * (0 or 1/keep), drawn from the step's seed as the TF.js path draws them (../dropout.ts). */
export const HEAD_STEP_INPUTS = ['x', 'target', 'mask1', 'mask2', 'bn1_gamma', 'bn1_beta', 'fc1_kernel', 'fc1_bias', 'bn2_gamma', 'bn2_beta', 'logits_kernel', 'logits_bias'] as const
/** The trainable parameters among the inputs, in the head's variable order (trainableVars). */
export const HEAD_PARAMS = ['bn1_gamma', 'bn1_beta', 'fc1_kernel', 'fc1_bias', 'bn2_gamma', 'bn2_beta', 'logits_kernel', 'logits_bias'] as const
export type HeadParam = (typeof HEAD_PARAMS)[number]
/** Graph outputs: the batch loss, one gradient per parameter (`grad_<param>`), and each batch
 * norm's batch mean and (biased) variance, from which the caller updates the running statistics. */
export const HEAD_STEP_OUTPUTS = ['loss', ...HEAD_PARAMS.map((p) => `grad_${p}` as const), 'bn1_mean', 'bn1_var', 'bn2_mean', 'bn2_var'] as const

export function paramShape(p: HeadParam, d: HeadDims): number[] {
  switch (p) {
    case 'bn1_gamma':
    case 'bn1_beta':
      return [d.features]
    case 'fc1_kernel':
      return [d.features, d.hidden]
    case 'fc1_bias':
    case 'bn2_gamma':
    case 'bn2_beta':
      return [d.hidden]
    case 'logits_kernel':
      return [d.hidden, d.classes]
    case 'logits_bias':
      return [d.classes]
  }
}

const valueInfo = (name: string, dims: (number | 'N')[]): ValueInfo => ({
  name,
  type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => (d === 'N' ? { dimParam: 'N' } : { dimValue: d })) } } }
})

/** The serialized ONNX model (opset 17) of one head training step for these dimensions. */
export function headStepGraph(d: HeadDims): Uint8Array {
  const g = new GraphBuilder()
  for (const name of HEAD_STEP_INPUTS) g.reserve(name)
  const op = (type: string, inputs: string[], attrs: Record<string, Attr> = {}, output?: string): string => g.node(type, inputs, attrs, type, output)
  const out = (name: string): string => g.reserve(name)
  const meanOverBatch = (v: string): string => op('ReduceMean', [v], { axes: attr.ints([0]), keepdims: attr.int(1) })
  const sumOverBatch = (v: string, output?: string): string => op('ReduceSum', [v, g.int64Vector([0])], { keepdims: attr.int(0) }, output)

  // batch norm in training mode: normalised by the batch's own mean and biased variance (as
  // tfjs-layers' normalizeBatchInTraining)
  const batchNorm = (x: string, layer: 'bn1' | 'bn2') => {
    const mean = meanOverBatch(x)
    const centred = op('Sub', [x, mean])
    const variance = meanOverBatch(op('Mul', [centred, centred]))
    const inv = op('Reciprocal', [op('Sqrt', [op('Add', [variance, g.floatScalar(d.epsilon)])])])
    const xhat = op('Mul', [centred, inv])
    op('Identity', [mean], {}, out(`${layer}_mean`))
    op('Identity', [variance], {}, out(`${layer}_var`))
    return { xhat, inv, y: op('Add', [op('Mul', [xhat, `${layer}_gamma`]), `${layer}_beta`]) }
  }
  // d(loss)/d(x) of batch norm from d(loss)/d(xhat): inv * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
  const batchNormInputGrad = (dxhat: string, xhat: string, inv: string): string =>
    op('Mul', [inv, op('Sub', [op('Sub', [dxhat, meanOverBatch(dxhat)]), op('Mul', [xhat, meanOverBatch(op('Mul', [dxhat, xhat]))])])])

  // forward
  const bn1 = batchNorm('x', 'bn1')
  const drop1 = op('Mul', [bn1.y, 'mask1'])
  const fc1 = op('Gemm', [drop1, 'fc1_kernel', 'fc1_bias'])
  const relu = op('Relu', [fc1])
  const bn2 = batchNorm(relu, 'bn2')
  const drop2 = op('Mul', [bn2.y, 'mask2'])
  const logits = op('Gemm', [drop2, 'logits_kernel', 'logits_bias'])
  const logProbs = op('LogSoftmax', [logits], { axis: attr.int(1) })
  op('Neg', [op('ReduceSum', [op('Mul', ['target', logProbs])], { keepdims: attr.int(0) })], {}, out('loss'))

  // backward: d(loss)/d(logits) = softmax * rowsum(target) - target
  const rowWeight = op('ReduceSum', ['target', g.int64Vector([1])], { keepdims: attr.int(1) })
  const dLogits = op('Sub', [op('Mul', [op('Exp', [logProbs]), rowWeight]), 'target'])
  op('Gemm', [drop2, dLogits], { transA: attr.int(1) }, out('grad_logits_kernel'))
  sumOverBatch(dLogits, out('grad_logits_bias'))
  const dBn2 = op('Mul', [op('Gemm', [dLogits, 'logits_kernel'], { transB: attr.int(1) }), 'mask2'])
  sumOverBatch(op('Mul', [dBn2, bn2.xhat]), out('grad_bn2_gamma'))
  sumOverBatch(dBn2, out('grad_bn2_beta'))
  const dRelu = batchNormInputGrad(op('Mul', [dBn2, 'bn2_gamma']), bn2.xhat, bn2.inv)
  // ReLU's gradient: Sign(relu(z)) is 1 where z > 0 and 0 elsewhere
  const dFc1 = op('Mul', [dRelu, op('Sign', [relu])])
  op('Gemm', [drop1, dFc1], { transA: attr.int(1) }, out('grad_fc1_kernel'))
  sumOverBatch(dFc1, out('grad_fc1_bias'))
  const dBn1 = op('Mul', [op('Gemm', [dFc1, 'fc1_kernel'], { transB: attr.int(1) }), 'mask1'])
  sumOverBatch(op('Mul', [dBn1, bn1.xhat]), out('grad_bn1_gamma'))
  sumOverBatch(dBn1, out('grad_bn1_beta'))

  const inputDims: Record<(typeof HEAD_STEP_INPUTS)[number], (number | 'N')[]> = {
    x: ['N', d.features],
    target: ['N', d.classes],
    mask1: ['N', d.features],
    mask2: ['N', d.hidden],
    ...(Object.fromEntries(HEAD_PARAMS.map((p) => [p, paramShape(p, d)])) as Record<HeadParam, number[]>)
  }
  const outputDims = (name: (typeof HEAD_STEP_OUTPUTS)[number]): number[] => {
    if (name === 'loss') return []
    if (name.startsWith('grad_')) return paramShape(name.slice(5) as HeadParam, d)
    return [1, name.startsWith('bn1') ? d.features : d.hidden]
  }
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'thaw-studio',
    graph: {
      name: 'head_train_step',
      node: g.nodes,
      initializer: g.initializers,
      input: HEAD_STEP_INPUTS.map((n) => valueInfo(n, inputDims[n])),
      output: HEAD_STEP_OUTPUTS.map((n) => valueInfo(n, outputDims(n)))
    }
  })
}
