// When a run is checkpointed: after its first epoch, at every stage's end (last epoch or early
// stop), when a fault test names the epoch, and otherwise once the training since the last
// checkpoint took CHECKPOINT_RATIO times what writing that one took.
import * as tf from '@tensorflow/tfjs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openDatabase } from '../../../../src/main/store/db'
import { Checkpoint, CHECKPOINT_RATIO } from '../../../../src/main/training/callbacks/checkpoint'
import type { StageState } from '../../../../src/main/training/callbacks/callback'
import { Recorder } from '../../../../src/main/training/callbacks/recorder'
import { latestCheckpointState, loadCheckpointWeights } from '../../../../src/main/training/checkpoint'
import type { TrainArgs } from '../../../../src/main/training/runPlan'
import type { Trainable } from '../../../../src/main/training/step'
import { stageSchema } from '../../../../src/shared/plan'
import type { EpochMetrics } from '../../../../src/shared/types'
import { tempDir } from '../../../helpers/tmp'

afterEach(() => {
  delete process.env.THAW_FAULT_CRASH_WORKER_AFTER_CHECKPOINT
})

/** Runs `ms` (one epoch each) through a Checkpoint whose saves take `saveMs` on its clock;
 * returns the epochs saved, in order. */
async function saved(ms: number[], opts: { saveMs: number; patience?: number; losses?: number[]; stageEpochs?: number }): Promise<number[]> {
  const db = openDatabase(path.join(tempDir(), 'p.sqlite'), { create: true })
  const w = tf.variable(tf.tensor1d([1, 2, 3]))
  const opt = tf.train.adam(0.1)
  const recorder = new Recorder({ runId: 'r', args: {} as TrainArgs, stageIndex: 0, epochsDone: 0, stages: [], history: [], batchesDone: 0 })
  recorder.beginStage(false)
  let now = 0
  const clock = () => (now += opts.saveMs) // read before and after each save
  const checkpoint = new Checkpoint(db, recorder, () => ({ head: [w], backbone: [] }), clock)
  const stage = stageSchema.parse({ epochs: opts.stageEpochs ?? ms.length, lr: 0.1, ...(opts.patience ? { patience: opts.patience } : {}) })
  const state: StageState = { stageIndex: 0, stage, model: { groups: [] } as unknown as Trainable, optimizers: [opt] }
  const out: number[] = []
  for (const [i, epochMs] of ms.entries()) {
    const metrics: EpochMetrics = { stage: 0, epoch: i + 1, trainLoss: 1, validLoss: opts.losses?.[i] ?? 1 / (i + 1), validAccuracy: 0.5, ms: epochMs, trainMs: epochMs }
    const asked = checkpoint.readsWeights(metrics, state) // what the fit loop asks before the callbacks
    tf.tidy(() => w.assign(tf.fill([3], i + 1))) // the weights of this epoch
    recorder.afterEpoch(metrics, {} as never, state)
    expect(checkpoint.readsWeights(metrics, state)).toBe(asked) // the same answer after the recorder
    const before = latestCheckpointState(db)?.epochsDone
    await checkpoint.afterEpoch(metrics, undefined, state)
    const after = latestCheckpointState(db)?.epochsDone
    expect(after !== before).toBe(asked)
    if (asked) {
      out.push(after!)
      const kept = loadCheckpointWeights(db, 'r')
      expect(Array.from(kept.head[0]!.dataSync())).toEqual([i + 1, i + 1, i + 1])
      tf.dispose([...kept.head, ...kept.optimizers.flat().map((s) => s.tensor)])
    }
  }
  tf.dispose(w)
  opt.dispose()
  db.close()
  return out
}

describe('Checkpoint', () => {
  it('saves short epochs once they add up to CHECKPOINT_RATIO saves, and the first and the last', async () => {
    expect(CHECKPOINT_RATIO).toBe(10)
    // a save takes 50 ms: one is due after 500 ms of epochs
    expect(await saved(Array(12).fill(120), { saveMs: 50 })).toEqual([1, 6, 11, 12])
  })

  it('saves every epoch that takes longer than CHECKPOINT_RATIO saves (thawing stages)', async () => {
    expect(await saved([5000, 4000, 6000, 5000], { saveMs: 300 })).toEqual([1, 2, 3, 4])
  })

  it('saves the epoch a stage stops early at', async () => {
    // patience 2: the loss is best at epoch 2, so the 6-epoch stage stops at epoch 4
    expect(await saved([100, 100, 100, 100], { saveMs: 50, patience: 2, losses: [1, 0.5, 0.6, 0.7], stageEpochs: 6 })).toEqual([1, 4])
  })

  it('saves the epoch a fault test names, so the fault acts after its checkpoint', async () => {
    // the worker-crash fault ends engine worker threads only: this test runs on a main thread
    process.env.THAW_FAULT_CRASH_WORKER_AFTER_CHECKPOINT = '1:3'
    expect(await saved(Array(6).fill(50), { saveMs: 50 })).toEqual([1, 3, 6])
  })
})
