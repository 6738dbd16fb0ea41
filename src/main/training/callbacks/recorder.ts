import type { EpochMetrics, StagePhases } from '../../../shared/types'
import type { CheckpointState } from '../checkpointRows'
import type { Evaluation } from '../fit'
import { summary } from '../report'
import type { TrainArgs } from '../runPlan'
import type { Callback, StageState } from './callback'

/** Where the run stands (fastai's Recorder): the epochs and stage reports so far, the batches
 * done and the latest evaluation. Its state is what a checkpoint saves and what a resumed run
 * starts from, so it runs before every other callback. */
export class Recorder implements Callback {
  /** the latest evaluation, whichever stage made it: the run's result unless best weights win */
  last: Evaluation | null = null
  private history: EpochMetrics[] = []

  constructor(public state: CheckpointState<TrainArgs>) {}

  /** A stage starts; when it resumes, its epochs so far come from the checkpoint. */
  beginStage(resuming: boolean): void {
    this.history = resuming ? [...this.state.history] : []
  }

  /** Epochs of the current stage so far, resumed ones included. */
  get stageHistory(): readonly EpochMetrics[] {
    return this.history
  }

  afterBatch(): void {
    this.state.batchesDone++
  }

  afterEpoch(metrics: EpochMetrics, evaluation: Evaluation, s: StageState): void {
    this.last = evaluation
    this.history.push(metrics)
    this.state = { ...this.state, stageIndex: s.stageIndex, epochsDone: metrics.epoch, history: this.history }
  }

  /** A stage resumed after its last epoch: its evaluation is the latest. */
  stageScored(evaluation: Evaluation): void {
    this.last = evaluation
  }

  /** The stage is over (done, stopped early or cancelled): its report, when it ran an epoch. */
  endStage(index: number, s: { name: string; freezeTo: number; cache: string; ms: number; runtime: string; phases?: StagePhases | null }): void {
    if (this.last && this.history.length) {
      const { name, freezeTo, cache, ms, runtime, phases } = s
      this.state.stages.push({ name, freezeTo, cache, epochs: this.history, valid: summary(this.last), ms, ...(runtime ? { runtime } : {}), ...(phases ? { phases } : {}) })
    }
    this.state = { ...this.state, stageIndex: index + 1, epochsDone: 0, history: [] }
  }
}
