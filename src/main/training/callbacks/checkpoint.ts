import type { Db } from '../../store/db'
import type { EpochMetrics } from '../../../shared/types'
import { saveCheckpoint, type CheckpointWeights } from '../checkpoint'
import { faultAfterCheckpoint, faultWantsCheckpoint } from '../faults'
import { optimizerState } from '../optimizers'
import type { Callback, StageState } from './callback'
import { stopsEarly } from './earlyStopping'
import type { Recorder } from './recorder'

/** Checkpoints may take about 1 / CHECKPOINT_RATIO of a run: one is due once the epochs since the
 * last took CHECKPOINT_RATIO times as long as that one took to write. A head epoch on the cache
 * (~70 ms) is shorter than writing its weights and Adam state (16 MB into SQLite, ~100 ms), so
 * saving each one more than doubled a head stage; an epoch that thaws backbone groups takes
 * seconds and is still saved every time. */
export const CHECKPOINT_RATIO = 10

/** Saves the run (weights, each group's optimizer state, the recorder's state) so that a resumed
 * run ends where an unbroken one would have: after the run's first epoch, at every stage's end
 * (its last epoch, or the one it stops early at), and otherwise once enough training has passed
 * (CHECKPOINT_RATIO). A run killed between two checkpoints resumes from the older one and
 * trains the epochs after it again, to the same weights (shuffles, views and dropout masks are
 * functions of the seed). Runs after the recorder, so the state saved includes the epoch that
 * just ended. */
export class Checkpoint implements Callback {
  /** how long the last save took; null before the first */
  private lastSaveMs: number | null = null
  /** training time (epochs' ms) since the last save */
  private sinceMs = 0
  private decided: { key: string; due: boolean } | null = null

  constructor(
    private readonly db: Db,
    private readonly recorder: Recorder,
    /** the weights that train in the run: the head, and the backbone when the run has its own */
    private readonly weights: () => Omit<CheckpointWeights, 'optimizers'>,
    /** ms; tests drive it */
    private readonly clock: () => number = () => performance.now()
  ) {}

  /** Whether this epoch is saved (and so reads the weights and optimizer state). Decided once
   * per epoch: the fit loop asks before any callback runs, afterEpoch after the recorder. */
  readsWeights(metrics: EpochMetrics, s: StageState): boolean {
    const key = `${s.stageIndex}:${metrics.epoch}`
    if (this.decided?.key !== key) this.decided = { key, due: this.due(metrics, s) }
    return this.decided.due
  }

  private due(metrics: EpochMetrics, s: StageState): boolean {
    if (this.lastSaveMs === null || faultWantsCheckpoint(s.stageIndex, metrics.epoch)) return true
    const seen = this.recorder.stageHistory
    const history = seen.at(-1) === metrics ? seen : [...seen, metrics]
    if (metrics.epoch >= s.stage.epochs || stopsEarly(history, s.stage.patience)) return true
    return this.sinceMs + metrics.ms >= CHECKPOINT_RATIO * this.lastSaveMs
  }

  async afterEpoch(metrics: EpochMetrics, _evaluation: unknown, s: StageState): Promise<void> {
    if (!this.readsWeights(metrics, s)) {
      this.sinceMs += metrics.ms
      return
    }
    const started = this.clock()
    const opts = await Promise.all(s.optimizers.map((o) => optimizerState(o)))
    try {
      await saveCheckpoint(this.db, this.recorder.state, { ...this.weights(), optimizers: opts.map((o) => o.slots) })
    } finally {
      for (const o of opts) o.dispose()
    }
    this.lastSaveMs = this.clock() - started
    this.sinceMs = 0
    faultAfterCheckpoint(s.stageIndex, metrics.epoch)
  }
}
