import type { Db } from '../../store/db'
import type { EpochMetrics } from '../../../shared/types'
import { saveCheckpoint, type CheckpointWeights } from '../checkpoint'
import { faultAfterCheckpoint } from '../faults'
import { optimizerState } from '../optimizers'
import type { Callback, StageState } from './callback'
import type { Recorder } from './recorder'

/** Saves the run after every epoch (weights, each group's optimizer state, the recorder's state),
 * so that a resumed run ends where an unbroken one would have. Runs after the recorder, so the
 * state saved includes the epoch that just ended. */
export class Checkpoint implements Callback {
  constructor(
    private readonly db: Db,
    private readonly recorder: Recorder,
    /** the weights that train in the run: the head, and the backbone when the run has its own */
    private readonly weights: () => Omit<CheckpointWeights, 'optimizers'>
  ) {}

  /** every epoch: the weights and each group's optimizer state */
  readsWeights(): boolean {
    return true
  }

  async afterEpoch(metrics: EpochMetrics, _evaluation: unknown, s: StageState): Promise<void> {
    const opts = await Promise.all(s.optimizers.map((o) => optimizerState(o)))
    try {
      await saveCheckpoint(this.db, this.recorder.state, { ...this.weights(), optimizers: opts.map((o) => o.slots) })
    } finally {
      for (const o of opts) o.dispose()
    }
    faultAfterCheckpoint(s.stageIndex, metrics.epoch)
  }
}
