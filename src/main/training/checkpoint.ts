import * as tf from '@tensorflow/tfjs'
import { ThawError } from '../errors'
import { packBlob, unpackBlob } from '../store/blob'
import type { Db } from '../store/db'
import { nowIso } from '../store/db'
import type { CheckpointState } from './checkpointRows'

/** tfjs' { name, tensor } pair (its type is not re-exported by @tensorflow/tfjs). */
export type NamedTensor = { name: string; tensor: tf.Tensor }

// the rows (state, time, delete) live in ./checkpointRows.ts, free of TF.js for the main thread
export { checkpointTime, deleteCheckpoint, deleteCheckpoints, latestCheckpointState, type CheckpointState } from './checkpointRows'

export interface CheckpointWeights {
  head: tf.Tensor[]
  /** every backbone weight, when the run thaws the backbone */
  backbone: tf.Tensor[]
  /** state of each group's optimizer in the current stage */
  optimizers: NamedTensor[][]
}

const named = (prefix: string, tensors: tf.Tensor[]): NamedTensor[] => tensors.map((tensor, i) => ({ name: `${prefix}/${i}`, tensor }))

export async function saveCheckpoint(db: Db, state: CheckpointState, w: CheckpointWeights): Promise<void> {
  const tensors = [
    ...named('head', w.head),
    ...named('backbone', w.backbone),
    ...w.optimizers.flatMap((opt, g) => opt.map((t, i) => ({ name: `opt${g}/${i}/${t.name}`, tensor: t.tensor })))
  ]
  const { data, specs } = await tf.io.encodeWeights(tensors)
  const blob = packBlob(JSON.stringify({ state, specs }), new Uint8Array(data))
  db.prepare('INSERT OR REPLACE INTO checkpoints (run_id, created_at, state, weights) VALUES (?, ?, ?, ?)').run(
    state.runId,
    nowIso(),
    JSON.stringify(state),
    blob
  )
}

/** The weights of a checkpoint, as new tensors the caller owns. */
export function loadCheckpointWeights(db: Db, runId: string): CheckpointWeights {
  const blob = db.prepare('SELECT weights FROM checkpoints WHERE run_id = ?').pluck().get(runId) as Buffer | undefined
  if (!blob) throw new ThawError('NO_CHECKPOINT', `no checkpoint for run ${runId}: there is nothing to resume`)
  const { header, bytes: rest } = unpackBlob(blob)
  const { specs } = JSON.parse(header) as { specs: tf.io.WeightsManifestEntry[] }
  const map = tf.io.decodeWeights(rest.buffer.slice(rest.byteOffset, rest.byteOffset + rest.byteLength) as ArrayBuffer, specs)
  const w: CheckpointWeights = { head: [], backbone: [], optimizers: [] }
  for (const spec of specs) {
    // names: head/<i>, backbone/<i>, opt<g>/<i>/<the optimizer's own name for the slot>
    const [kind = '', index = '', ...slot] = spec.name.split('/')
    const tensor = map[spec.name]!
    if (kind === 'head') w.head[Number(index)] = tensor
    else if (kind === 'backbone') w.backbone[Number(index)] = tensor
    else (w.optimizers[Number(kind.slice(3))] ??= [])[Number(index)] = { name: slot.join('/'), tensor }
  }
  return w
}
