import * as tf from '@tensorflow/tfjs'
import type { EpochMetrics } from '../../../shared/types'
import type { Evaluation } from '../fit'
import type { Callback } from './callback'

/** Keeps a copy of the weights of the epoch with the lowest validation loss so far (fastai's
 * SaveModelCallback, in memory): a cancelled run keeps those, not the interrupted epoch's. */
export class BestWeights implements Callback {
  private best: { loss: number; weights: tf.Tensor[]; evaluation: Evaluation } | null = null

  /** `weights`: the weights to keep, in the order `restore` puts them back */
  constructor(private readonly weights: () => tf.Tensor[]) {}

  /** only an epoch better than the best so far is copied */
  readsWeights(metrics: EpochMetrics): boolean {
    return !this.best || metrics.validLoss < this.best.loss
  }

  afterEpoch(metrics: EpochMetrics, evaluation: Evaluation): void {
    if (!this.readsWeights(metrics)) return
    const weights = this.weights().map((w) => w.clone())
    this.dispose()
    this.best = { loss: metrics.validLoss, weights, evaluation }
  }

  /** Puts the best weights back (through `set`) and returns their evaluation; null when no epoch
   * has ended, and then nothing changes. */
  restore(set: (weights: tf.Tensor[]) => void): Evaluation | null {
    if (!this.best) return null
    set(this.best.weights)
    return this.best.evaluation
  }

  dispose(): void {
    if (this.best) tf.dispose(this.best.weights)
    this.best = null
  }
}
