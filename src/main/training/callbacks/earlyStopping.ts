import type { EpochMetrics } from '../../../shared/types'
import type { Callback, StageState } from './callback'
import type { Recorder } from './recorder'

/** Whether a stage with these epochs so far should end: its validation loss has not gone below
 * its best for `patience` epochs. Reads only the history, so a resumed stage decides as the
 * unbroken one did. No patience: never. */
export function stopsEarly(history: readonly EpochMetrics[], patience: number | undefined): boolean {
  if (!patience || history.length <= patience) return false
  let best = 0
  for (let i = 1; i < history.length; i++) if (history[i]!.validLoss < history[best]!.validLoss) best = i
  return history.length - 1 - best >= patience
}

/** Ends a stage early once its validation loss stops improving (fastai's EarlyStoppingCallback on
 * valid_loss, min_delta 0), when the stage sets `patience`. Runs after the recorder. */
export class EarlyStopping implements Callback {
  constructor(private readonly recorder: Recorder) {}

  afterEpoch(_metrics: EpochMetrics, _evaluation: unknown, s: StageState): 'stop' | void {
    if (stopsEarly(this.recorder.stageHistory, s.stage.patience)) return 'stop'
  }
}
