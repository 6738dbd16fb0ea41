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
  /** Whether this epoch's afterEpoch reads the weights or optimizer state in TF.js (the model's
   * variables, `state.optimizers`). A native engine keeps its own copy while a stage runs and
   * hands it back to TF.js only when some callback says so (and at the stage's end), so a
   * callback that reads them without saying so would read a stale copy. */
  readsWeights?(metrics: EpochMetrics, state: StageState): boolean
  /** return 'stop' to end the stage early (the remaining callbacks still run for this epoch) */
  afterEpoch?(metrics: EpochMetrics, evaluation: Evaluation, state: StageState): Promise<void | 'stop'> | void | 'stop'
  /** A stage resumed after its last epoch (or its early stop) runs no epoch: its weights are
   * scored again, as its last epoch scored them, and the evaluation is given here. */
  stageScored?(evaluation: Evaluation): void
}
