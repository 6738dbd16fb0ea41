import * as tf from '@tensorflow/tfjs'
import { applyHead, concatPool, trainableVars } from './head'
import { thawEngine } from './engines'
import type { Trainable } from './step'
import { microBatchFor } from './stepMemory'

/** Thawed backbone groups + the head: `segment` runs from the freeze boundary to the feature
 * layer (batch norm in training mode inside it), then concat pooling and the head. Each thawed
 * group trains at its own rate; `extraFirst` (batch-norm parameters of frozen groups, under
 * trainBn) joins the earliest group. */
export function thawedTrainable(
  segment: tf.LayersModel,
  head: tf.LayersModel,
  groups: { name: string; layers: tf.layers.Layer[] }[],
  extraFirst: tf.layers.Layer[] = []
): Trainable {
  // TF.js's micro-batch (its wasm heap); the native engine picks its own (ThawGroups.microBatch)
  const microBatch = microBatchFor(segment)
  const trainable: Trainable = {
    microBatch,
    forward: (x, training, seed) =>
      tf.tidy(() => applyHead(head, concatPool(segment.apply(x, { training }) as tf.Tensor4D), training, seed)),
    groups: [
      ...groups.map((g, i) => ({ name: g.name, vars: trainableVars(i === 0 ? [...extraFirst, ...g.layers] : g.layers) })),
      { name: 'head', vars: trainableVars(head.layers) }
    ]
  }
  trainable.fast = thawEngine(segment, head, { groups: trainable.groups, frozenBn: extraFirst.length })
  return trainable
}
