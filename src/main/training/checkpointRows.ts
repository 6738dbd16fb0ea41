// A training run's checkpoints as rows: where each interrupted run stands, when it was saved, and
// dropping them. No TF.js here, so the main thread (the studio's Resume banner) can read them;
// the weights are saved and loaded in ./checkpoint.ts, in the engine worker.
import type { EpochMetrics, StageReport } from '../../shared/types'
import type { Db } from '../store/db'

/** Where a run stands after an epoch: enough, with the weights, to resume it exactly. Random
 * streams need no saving: shuffles, views and dropout masks are functions of (seed, stage,
 * epoch, batch). */
export interface CheckpointState<Args = unknown> {
  runId: string
  args: Args
  /** the stage in progress and the epochs of it already done */
  stageIndex: number
  epochsDone: number
  /** reports of the stages already finished, and the epochs of the current one */
  stages: StageReport[]
  history: EpochMetrics[]
  batchesDone: number
}

export function latestCheckpointState<Args>(db: Db): CheckpointState<Args> | null {
  const row = db.prepare('SELECT state FROM checkpoints ORDER BY created_at DESC LIMIT 1').pluck().get() as string | undefined
  return row ? (JSON.parse(row) as CheckpointState<Args>) : null
}

export function checkpointTime(db: Db, runId: string): string {
  return (db.prepare('SELECT created_at FROM checkpoints WHERE run_id = ?').pluck().get(runId) as string | undefined) ?? ''
}

export function deleteCheckpoint(db: Db, runId: string): void {
  db.prepare('DELETE FROM checkpoints WHERE run_id = ?').run(runId)
}

/** Drops every interrupted run's checkpoint; returns how many there were. */
export function deleteCheckpoints(db: Db): number {
  return db.prepare('DELETE FROM checkpoints').run().changes
}
