// Runs in the engine worker. Who runs a stage's training steps: a native engine (engines/, a
// FastStep) when the stage's Trainable has one and it starts, TF.js's autodiff (step.ts)
// otherwise; and when an engine's weights go back into TF.js.
import * as tf from '@tensorflow/tfjs'
import type { Stage } from '../../shared/plan'
import type { FastStep } from './engines/fastStep'
import { trainStep, type Trainable } from './step'

/** Logits [n * classes] of a batch: a native engine's (FastStep.predict), or TF.js's forward. */
export type Predict = (x: tf.Tensor) => Promise<Float32Array>

/** The TF.js forward in inference mode, as a Predict. */
export const tfjsPredict =
  (model: Trainable): Predict =>
  async (x) => {
    const logits = tf.tidy(() => model.forward(x, false, 0))
    try {
      return (await logits.data()) as Float32Array
    } finally {
      logits.dispose()
    }
  }

export interface StepInput {
  x: tf.Tensor
  labels: tf.Tensor1D
  /** each group's rate for this step */
  rates: number[]
  seed: number
}

export class StageSteps {
  /** for people: what runs the steps, and why not an engine when none does */
  readonly runtime: string
  /** validation logits: on the engine's own weights when it can predict, TF.js's otherwise */
  readonly predict: Predict
  /** steps ran on the engine since its weights last went back into TF.js */
  private unsynced = false
  private readonly classWeights: tf.Tensor1D | null
  private readonly engineBefore: Record<string, number> | null

  private constructor(
    private readonly model: Trainable,
    private readonly stage: Stage,
    private readonly optimizers: tf.Optimizer[],
    private readonly weights: number[] | null,
    private readonly fast: FastStep | null,
    unavailable: string | null
  ) {
    this.runtime = fast ? fast.describe() : `tfjs ${tf.getBackend()} (${unavailable})`
    this.predict = fast?.predict?.bind(fast) ?? tfjsPredict(model)
    this.classWeights = !fast && weights ? tf.tensor1d(weights) : null
    this.engineBefore = fast?.timings ? { ...fast.timings } : null
  }

  /** The engine when it takes the stage (its weights and `optimizers`' state go in), else TF.js. */
  static async start(model: Trainable, stage: Stage, optimizers: tf.Optimizer[], classWeights: number[] | null): Promise<StageSteps> {
    const unavailable = model.fast ? await model.fast.begin(stage, optimizers) : 'no native engine for this stage'
    return new StageSteps(model, stage, optimizers, classWeights, unavailable === null ? model.fast! : null, unavailable)
  }

  /** One step; the batch loss. The caller disposes the batch. */
  async step(s: StepInput): Promise<number> {
    if (!this.fast) return trainStep(this.model, this.optimizers, s.rates, this.stage.weightDecay, s.x, s.labels, this.classWeights, s.seed, this.model.microBatch)
    this.unsynced = true
    return this.fast.step({ x: s.x, labels: s.labels, classWeights: this.weights, rates: s.rates, weightDecay: this.stage.weightDecay, seed: s.seed })
  }

  /** The engine's weights, running statistics and optimizer state into TF.js, if steps ran since
   * they last went there (TF.js's own steps need nothing). */
  async handBack(): Promise<void> {
    if (!this.fast || !this.unsynced) return
    await this.fast.sync(this.optimizers)
    this.unsynced = false
  }

  /** The engine's own split of its time over the stage (FastStep.timings), if it keeps one. */
  engineTimings(): Record<string, number> | undefined {
    const now = this.fast?.timings
    if (!now || !this.engineBefore) return undefined
    return Object.fromEntries(Object.entries(now).map(([k, v]) => [k, v - (this.engineBefore![k] ?? 0)]))
  }

  /** The stage is over (after the last handBack): frees what it held. */
  async end(): Promise<void> {
    this.classWeights?.dispose()
    await this.fast?.end?.()
  }
}
