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
