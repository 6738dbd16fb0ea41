import * as tf from '@tensorflow/tfjs'
import type { FastStep } from './engines/fastStep'
import { batchBounds } from './data/fitData'
import { setLearningRate } from './optimizers'

/** The part of the network that trains in a stage, seen from the fit loop. */
export interface Trainable {
  /** logits [n, classes] from the trainable part's input */
  forward(x: tf.Tensor, training: boolean, seed: number): tf.Tensor2D
  /** variables of each thawed group, earliest first, head last */
  groups: { name: string; vars: tf.Variable[] }[]
  /** images per forward/backward pass that fit in memory (a batch is split into these) */
  microBatch?: number
  /** a native engine for this part's training steps (engines/index.ts picks it), used when it can start */
  fast?: FastStep
}

/** Weight decay applies to kernels only, never to biases or batch-norm parameters. */
const decays = (v: tf.Variable): boolean => /kernel/.test(v.name)

/** Mean cross-entropy from logits, weighted per example (class weights), as PyTorch's
 * CrossEntropyLoss(weight=...): sum(w * ce) / sum(w). With `normalizer`, divides by it instead
 * of this batch's own weight: a micro-batch then contributes its share of the whole batch. */
export function weightedCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, classWeights: tf.Tensor1D | null, normalizer?: number): tf.Scalar {
  return tf.tidy(() => {
    const classes = logits.shape[1]
    const ce = tf.neg(tf.sum(tf.mul(tf.oneHot(labels, classes), tf.logSoftmax(logits)), 1))
    const weighted = classWeights ? tf.mul(ce, tf.gather(classWeights, labels)) : ce
    const total = normalizer ?? (classWeights ? tf.sum(tf.gather(classWeights, labels)) : ce.shape[0]!)
    return tf.div(tf.sum(weighted), total) as tf.Scalar
  })
}

/** Gradients of the batch loss, summed over micro-batches of at most `microBatch` images: the
 * same gradients (up to batch norm, which sees each micro-batch's statistics, as in ghost batch
 * norm) with a fraction of the memory. The wasm heap tops out at 4 GB, and a whole MobileNetV2
 * at 224 px with a batch of 32 does not fit. */
function batchGradients(
  model: Trainable,
  vars: tf.Variable[],
  x: tf.Tensor,
  labels: tf.Tensor1D,
  classWeights: tf.Tensor1D | null,
  seed: number,
  microBatch: number
): { loss: number; grads: tf.NamedTensorMap } {
  const n = x.shape[0]!
  if (microBatch >= n) {
    const { value, grads } = tf.variableGrads(() => weightedCrossEntropy(model.forward(x, true, seed), labels, classWeights), vars)
    const loss = value.dataSync()[0]!
    value.dispose()
    return { loss, grads }
  }
  const total = classWeights ? tf.tidy(() => tf.sum(tf.gather(classWeights, labels)).dataSync()[0]!) : n
  let loss = 0
  let sum: tf.NamedTensorMap | null = null
  // batchBounds: a last micro-batch of one image joins the one before (batch norm's statistics
  // over one image are degenerate), as a last batch of one does
  for (const [start, end] of batchBounds(n, microBatch)) {
    const size = end - start
    const xs = tf.slice(x, start, size)
    const ls = tf.slice(labels, start, size)
    const { value, grads } = tf.variableGrads(() => weightedCrossEntropy(model.forward(xs, true, seed + start), ls, classWeights, total), vars)
    loss += value.dataSync()[0]!
    if (sum) {
      const next: tf.NamedTensorMap = {}
      for (const name of Object.keys(grads)) next[name] = tf.add(sum[name]!, grads[name]!)
      tf.dispose([sum, grads])
      sum = next
    } else sum = grads
    tf.dispose([value, xs, ls])
  }
  return { loss, grads: sum! }
}

/** One optimisation step: gradients of every thawed variable at once, then each group's own
 * optimizer at its own rate, then decoupled weight decay (AdamW). Returns the batch loss. */
export function trainStep(
  model: Trainable,
  optimizers: tf.Optimizer[],
  rates: number[],
  weightDecay: number,
  x: tf.Tensor,
  labels: tf.Tensor1D,
  classWeights: tf.Tensor1D | null,
  seed: number,
  microBatch = Infinity
): number {
  const vars = model.groups.flatMap((g) => g.vars)
  const { loss, grads } = batchGradients(model, vars, x, labels, classWeights, seed, microBatch)
  model.groups.forEach((group, i) => {
    const lr = rates[i]!
    setLearningRate(optimizers[i]!, lr)
    const mine: tf.NamedTensorMap = {}
    for (const v of group.vars) mine[v.name] = grads[v.name]!
    optimizers[i]!.applyGradients(mine)
    if (weightDecay > 0) {
      tf.tidy(() => {
        for (const v of group.vars) if (decays(v)) v.assign(tf.mul(v, 1 - lr * weightDecay))
      })
    }
  })
  tf.dispose(grads)
  return loss
}
