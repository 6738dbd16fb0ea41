// The contract a native training engine implements. The fit loop (../fit.ts) runs a stage's
// steps through it when the stage's Trainable has one (index.ts picks it) and `begin` accepts the
// stage; otherwise the steps run on TF.js's autodiff (../step.ts, the reference every engine is
// tested against).
import type * as tf from '@tensorflow/tfjs'
import type { Stage } from '../../../shared/plan'

export interface StepBatch {
  x: tf.Tensor
  labels: tf.Tensor1D
  classWeights: readonly number[] | null
  /** each group's rate for this step */
  rates: number[]
  weightDecay: number
  seed: number
}

/** Training steps run outside TF.js's autodiff (onnx/headStep.ts is one). Such an engine keeps
 * its own copy of the weights and optimizer state while a stage's batches run and hands both back
 * to the TF.js variables and optimizers (`sync`) before anything else reads them. */
export interface FastStep {
  /** takes the weights and optimizer state from TF.js; null when ready, else why it cannot run */
  begin(stage: Stage, optimizers: tf.Optimizer[]): Promise<string | null>
  /** one step (the same update as trainStep); the batch loss */
  step(batch: StepBatch): Promise<number>
  /** weights, running statistics and optimizer state back into TF.js */
  sync(optimizers: tf.Optimizer[]): Promise<void>
  /** logits [n * classes] of a batch with the engine's current weights, inference mode (no
   * dropout, batch norm on its running statistics): the fit loop's evaluation uses it when the
   * stage's steps run on the engine, so validation needs no hand-back to TF.js every epoch.
   * Valid between `begin` and the end of the stage; the caller disposes `x`. */
  predict?(x: tf.Tensor): Promise<Float32Array>
  /** the stage is over (done, stopped early, cancelled or failed; after the last `sync`): frees
   * what the engine built for it alone (its inference session). `begin` may start another stage
   * afterwards. */
  end?(): Promise<void>
  /** for people: what runs the steps */
  describe(): string
  /** where the engine's time went so far (ms and counts, summed over its steps): the fit loop
   * reports the difference over a stage (StagePhases.engine) */
  readonly timings?: Readonly<Record<string, number>>
}
