// The fit loop's plug-ins (fastai's Callback): the loop (../fit.ts) runs batches and epochs and
// knows nothing else; a run (../runPlan.ts) composes what it needs from the callbacks beside this
// file: the record of the run, best weights, checkpoints, progress, early stopping.
import type * as tf from '@tensorflow/tfjs'
import type { Stage } from '../../../shared/plan'
import type { EpochMetrics } from '../../../shared/types'
import type { Evaluation } from '../fit'
import type { Trainable } from '../step'

export interface StageState {
  stageIndex: number
  stage: Stage
  model: Trainable
  optimizers: tf.Optimizer[]
}

export interface BatchInfo {
  stage: number
  epoch: number
  /** batches done in this epoch, this one included */
  batch: number
  batches: number
  loss: number
  rates: number[]
}

/** Called in the order given, after every batch and after every epoch's evaluation. */
export interface Callback {
  afterBatch?(info: BatchInfo): void
  /** return 'stop' to end the stage early (the remaining callbacks still run for this epoch) */
  afterEpoch?(metrics: EpochMetrics, evaluation: Evaluation, state: StageState): Promise<void | 'stop'> | void | 'stop'
}
