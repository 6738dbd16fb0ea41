import * as tf from '@tensorflow/tfjs'
import { setLearningRate } from './optimizers'

/** The part of the network that trains in a stage, seen from the fit loop. */
export interface Trainable {
  /** logits [n, classes] from the trainable part's input */
  forward(x: tf.Tensor, training: boolean, seed: number): tf.Tensor2D
  /** variables of each thawed group, earliest first, head last */
  groups: { name: string; vars: tf.Variable[] }[]
}

/** Weight decay applies to kernels only, never to biases or batch-norm parameters. */
const decays = (v: tf.Variable): boolean => /kernel/.test(v.name)

/** Mean cross-entropy from logits, weighted per example (class weights), as PyTorch's
 * CrossEntropyLoss(weight=...): sum(w * ce) / sum(w). */
export function weightedCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, classWeights: tf.Tensor1D | null): tf.Scalar {
  return tf.tidy(() => {
    const classes = logits.shape[1]
    const ce = tf.neg(tf.sum(tf.mul(tf.oneHot(labels, classes), tf.logSoftmax(logits)), 1))
    if (!classWeights) return tf.mean(ce) as tf.Scalar
    const w = tf.gather(classWeights, labels)
    return tf.div(tf.sum(tf.mul(ce, w)), tf.sum(w)) as tf.Scalar
  })
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
  seed: number
): number {
  const vars = model.groups.flatMap((g) => g.vars)
  const { value, grads } = tf.variableGrads(() => weightedCrossEntropy(model.forward(x, true, seed), labels, classWeights), vars)
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
  const loss = value.dataSync()[0]!
  tf.dispose([value, grads])
  return loss
}
