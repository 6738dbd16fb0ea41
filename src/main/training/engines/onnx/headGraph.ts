// Runs in the engine worker. The studio's head (fastai's: BN, dropout, dense + ReLU, BN, dropout,
// dense; ../../head.ts) and its weighted softmax cross-entropy as ONNX nodes added to a graph
// under construction: the head-only step (headStepGraph.ts) is this alone, a thawing step
// (thawStepGraph.ts) puts the thawed segment and concat pooling in front of it and carries the
// gradient of the head's input on backwards. Value names of the inputs (features, target, masks,
// weights) are the caller's, so both graphs name their inputs as they like.
import { attr, type Attr, type GraphBuilder } from '../../../export/onnx/graph'

export interface HeadDims {
  /** features in (concat-pooled: 2x the backbone's channels) */
  features: number
  hidden: number
  classes: number
  /** both batch-norm layers' epsilon */
  epsilon: number
}

/** The trainable parameters, in the head's variable order (trainableVars). */
export const HEAD_PARAMS = ['bn1_gamma', 'bn1_beta', 'fc1_kernel', 'fc1_bias', 'bn2_gamma', 'bn2_beta', 'logits_kernel', 'logits_bias'] as const
export type HeadParam = (typeof HEAD_PARAMS)[number]
/** The batch norms' running statistics (inference) and batch statistics (training). */
export const HEAD_STATS = ['bn1_mean', 'bn1_var', 'bn2_mean', 'bn2_var'] as const
export type HeadStat = (typeof HEAD_STATS)[number]

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

/** Names of the head's graph inputs: the weights, and in training the loss's `target` (the
 * one-hot label scaled by the example's share of the batch loss) and the dropout multipliers. */
export type HeadNames = (input: HeadParam | 'target' | 'mask1' | 'mask2') => string

export interface HeadTraining {
  loss: string
  /** each parameter's gradient */
  grads: Record<HeadParam, string>
  /** batch mean and biased variance of each batch norm ([1, width]), for the running statistics */
  stats: Record<HeadStat, string>
  /** d(loss)/d(features) [N, features], when asked for (a thawing step carries it on) */
  dFeatures: string | null
}

/** Forward, loss and backward of the head in training mode over `features` [N, d.features].
 * `outputs` names the values that are graph outputs (so ONNX Runtime writes them straight into
 * preallocated arrays, with no Identity copy in between); the rest get fresh names. */
export function addHeadTraining(
  g: GraphBuilder,
  d: HeadDims,
  features: string,
  name: HeadNames,
  opts: { outputs?: Partial<Record<'loss' | `grad_${HeadParam}` | HeadStat, string>>; inputGrad?: boolean } = {}
): HeadTraining {
  const outputs = opts.outputs ?? {}
  const op = (type: string, inputs: string[], attrs: Record<string, Attr> = {}, output?: string): string => g.node(type, inputs, attrs, `head/${type}`, output)
  const meanOverBatch = (v: string): string => op('ReduceMean', [v], { axes: attr.ints([0]), keepdims: attr.int(1) })
  const sumOverBatch = (v: string, output?: string): string => op('ReduceSum', [v, g.int64Vector([0])], { keepdims: attr.int(0) }, output)
  const stats = {} as Record<HeadStat, string>
  const grads = {} as Record<HeadParam, string>
  const grad = (p: HeadParam, make: (output?: string) => string): void => {
    grads[p] = make(outputs[`grad_${p}`])
  }

  // batch norm in training mode: normalised by the batch's own mean and biased variance (as
  // tfjs-layers' normalizeBatchInTraining)
  const batchNorm = (x: string, layer: 'bn1' | 'bn2') => {
    const mean = meanOverBatch(x)
    const centred = op('Sub', [x, mean])
    const variance = meanOverBatch(op('Mul', [centred, centred]))
    const inv = op('Reciprocal', [op('Sqrt', [op('Add', [variance, g.floatScalar(d.epsilon)])])])
    const xhat = op('Mul', [centred, inv])
    // the statistics leave the graph as they are: ReduceMean keeps no output name of its own
    stats[`${layer}_mean`] = outputs[`${layer}_mean`] ? op('Identity', [mean], {}, outputs[`${layer}_mean`]) : mean
    stats[`${layer}_var`] = outputs[`${layer}_var`] ? op('Identity', [variance], {}, outputs[`${layer}_var`]) : variance
    return { xhat, inv, y: op('Add', [op('Mul', [xhat, name(`${layer}_gamma`)]), name(`${layer}_beta`)]) }
  }
  // d(loss)/d(x) of batch norm from d(loss)/d(xhat): inv * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
  const batchNormInputGrad = (dxhat: string, xhat: string, inv: string): string =>
    op('Mul', [inv, op('Sub', [op('Sub', [dxhat, meanOverBatch(dxhat)]), op('Mul', [xhat, meanOverBatch(op('Mul', [dxhat, xhat]))])])])

  // forward
  const bn1 = batchNorm(features, 'bn1')
  const drop1 = op('Mul', [bn1.y, name('mask1')])
  const fc1 = op('Gemm', [drop1, name('fc1_kernel'), name('fc1_bias')])
  const relu = op('Relu', [fc1])
  const bn2 = batchNorm(relu, 'bn2')
  const drop2 = op('Mul', [bn2.y, name('mask2')])
  const logits = op('Gemm', [drop2, name('logits_kernel'), name('logits_bias')])
  const logProbs = op('LogSoftmax', [logits], { axis: attr.int(1) })
  const target = name('target')
  const loss = op('Neg', [op('ReduceSum', [op('Mul', [target, logProbs])], { keepdims: attr.int(0) })], {}, outputs.loss)

  // backward: d(loss)/d(logits) = softmax * rowsum(target) - target
  const rowWeight = op('ReduceSum', [target, g.int64Vector([1])], { keepdims: attr.int(1) })
  const dLogits = op('Sub', [op('Mul', [op('Exp', [logProbs]), rowWeight]), target])
  grad('logits_kernel', (o) => op('Gemm', [drop2, dLogits], { transA: attr.int(1) }, o))
  grad('logits_bias', (o) => sumOverBatch(dLogits, o))
  const dBn2 = op('Mul', [op('Gemm', [dLogits, name('logits_kernel')], { transB: attr.int(1) }), name('mask2')])
  grad('bn2_gamma', (o) => sumOverBatch(op('Mul', [dBn2, bn2.xhat]), o))
  grad('bn2_beta', (o) => sumOverBatch(dBn2, o))
  const dRelu = batchNormInputGrad(op('Mul', [dBn2, name('bn2_gamma')]), bn2.xhat, bn2.inv)
  // ReLU's gradient: Sign(relu(z)) is 1 where z > 0 and 0 elsewhere
  const dFc1 = op('Mul', [dRelu, op('Sign', [relu])])
  grad('fc1_kernel', (o) => op('Gemm', [drop1, dFc1], { transA: attr.int(1) }, o))
  grad('fc1_bias', (o) => sumOverBatch(dFc1, o))
  const dBn1 = op('Mul', [op('Gemm', [dFc1, name('fc1_kernel')], { transB: attr.int(1) }), name('mask1')])
  grad('bn1_gamma', (o) => sumOverBatch(op('Mul', [dBn1, bn1.xhat]), o))
  grad('bn1_beta', (o) => sumOverBatch(dBn1, o))
  const dFeatures = opts.inputGrad ? batchNormInputGrad(op('Mul', [dBn1, name('bn1_gamma')]), bn1.xhat, bn1.inv) : null
  return { loss, grads, stats, dFeatures }
}
