import type { Stage } from '../../../shared/plan'
import type { EpochMetrics } from '../../../shared/types'
import type { TaskContext } from '../../engine/protocol'
import type { TrainEvent } from '../runPlan'
import type { BatchInfo, Callback, StageState } from './callback'
import type { Recorder } from './recorder'

/** Tells whoever runs the task how far the run is: a progress tick per batch, an event per stage
 * and per epoch (the live curves). Runs after the checkpoint: an epoch that is checkpointed is on
 * disk before anyone hears of it. */
export class Progress implements Callback {
  constructor(
    private readonly ctx: Pick<TaskContext<TrainEvent>, 'emit' | 'progress'>,
    private readonly stages: readonly Stage[],
    private readonly recorder: Recorder,
    /** batches in the whole plan */
    private readonly total: number
  ) {}

  stageStarted(index: number, cache: string, note: string | null): void {
    this.ctx.emit({ kind: 'stage', index, name: this.stages[index]!.name, cache, note } satisfies TrainEvent)
  }

  afterBatch(b: BatchInfo): void {
    const stage = this.stages[b.stage]!
    this.ctx.progress(this.recorder.state.batchesDone, this.total, `${stage.name}: epoch ${b.epoch + 1}/${stage.epochs}`)
  }

  afterEpoch(metrics: EpochMetrics, _evaluation: unknown, s: StageState): void {
    this.ctx.emit({ kind: 'epoch', stageName: s.stage.name, metrics } satisfies TrainEvent)
  }
}
