import * as tf from '@tensorflow/tfjs'
import { applyHead, concatPool, trainableVars } from './head'
import { thawEngine } from './engines'
import type { Trainable } from './step'

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
  trainable.fast = thawEngine(segment, head, { groups: trainable.groups, microBatch, frozenBn: extraFirst.length })
  return trainable
}

/** Activation memory the backward pass needs, per image, for a segment: every layer's output is
 * kept for the gradients and gets a gradient of its own, with temporaries on top. */
export function bytesPerImage(segment: tf.LayersModel): number {
  let elements = 0
  for (const layer of segment.layers) {
    const shape = layer.outputShape
    if (Array.isArray(shape[0])) continue
    elements += (shape as (number | null)[]).slice(1).reduce<number>((a, b) => a * (b ?? 1), 1)
  }
  return elements * 4 * 4
}

/** Memory a training step may take for activations: a wasm heap is at most 4 GB, and the
 * backbone, the optimizer state and the batch itself live there too. */
const STEP_MEMORY = 768e6

export function microBatchFor(segment: tf.LayersModel): number {
  return Math.max(1, Math.floor(STEP_MEMORY / Math.max(bytesPerImage(segment), 1)))
}
