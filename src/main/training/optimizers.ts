import * as tf from '@tensorflow/tfjs'
import type { Stage } from '../../shared/plan'

// TF.js optimizers hold one learning rate each. Per-group rates are decided here, in one place:
// one optimizer per layer group, each set to its own rate before every step.

export function makeOptimizer(stage: Pick<Stage, 'optimizer'>, lr: number): tf.Optimizer {
  if (stage.optimizer !== 'sgd') return tf.train.adam(lr, 0.9, 0.99, 1e-7)
  const opt = tf.train.momentum(lr, 0.9)
  // tfjs 4.22's MomentumOptimizer.dispose forgets the -lr scalar its SGD base keeps (`c`): one
  // tensor leaked per SGD stage without this
  const dispose = opt.dispose.bind(opt)
  opt.dispose = () => {
    dispose()
    ;(opt as unknown as { c?: tf.Tensor }).c?.dispose()
  }
  return opt
}

export function setLearningRate(opt: tf.Optimizer, lr: number): void {
  // tfjs' Optimizer overrides instanceof with duck typing (every optimizer "is" an SGDOptimizer),
  // so look for the method: SGD and momentum cache -lr as a tensor; Adam reads the field each step
  const sgd = opt as unknown as { setLearningRate?: (lr: number) => void; learningRate: number }
  if (typeof sgd.setLearningRate === 'function') sgd.setLearningRate(lr)
  else sgd.learningRate = lr
}

/** tfjs' { name, tensor } pair (not re-exported by @tensorflow/tfjs). */
type Slot = { name: string; tensor: tf.Tensor }

// Adam's running powers beta1^t and beta2^t. tfjs' Adam.setWeights recomputes them as
// pow(beta, t + 1), which differs in the last bits from the product applyGradients kept step by
// step: a resumed run then drifts by ~1e-7. So they are saved as they are, and put back.
const POWERS = ['accBeta1', 'accBeta2'] as const
type WithPowers = { [K in (typeof POWERS)[number]]?: tf.Variable }

/** Everything an optimizer needs to continue exactly: tfjs' own slots (iterations, moments) and,
 * for Adam, its running powers. The caller owns (and disposes) the returned tensors' copies:
 * `dispose()` frees what this made, leaving the optimizer's live slots alone. */
export async function optimizerState(opt: tf.Optimizer): Promise<{ slots: Slot[]; dispose: () => void }> {
  const own = await opt.getWeights()
  const made: tf.Tensor[] = [own[0]!.tensor] // getWeights makes a new scalar for the iteration count
  const powers = POWERS.flatMap((name) => {
    const v = (opt as unknown as WithPowers)[name]
    if (!v) return []
    const tensor = v.clone()
    made.push(tensor)
    return [{ name: `thaw/${name}`, tensor }]
  })
  return { slots: [...own, ...powers], dispose: () => tf.dispose(made) }
}

/** Puts back a state saved by optimizerState. */
export async function restoreOptimizer(opt: tf.Optimizer, slots: Slot[]): Promise<void> {
  const powers = slots.filter((s) => s.name.startsWith('thaw/'))
  await opt.setWeights(slots.filter((s) => !s.name.startsWith('thaw/')))
  for (const { name, tensor } of powers) (opt as unknown as WithPowers)[name.slice(5) as (typeof POWERS)[number]]?.assign(tensor)
}
