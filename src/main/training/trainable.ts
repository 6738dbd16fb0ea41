import * as tf from '@tensorflow/tfjs'
import { applyHead, concatPool, trainableVars } from './head'
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
  return {
    forward: (x, training, seed) =>
      tf.tidy(() => applyHead(head, concatPool(segment.apply(x, { training }) as tf.Tensor4D), training, seed)),
    groups: [
      ...groups.map((g, i) => ({ name: g.name, vars: trainableVars(i === 0 ? [...extraFirst, ...g.layers] : g.layers) })),
      { name: 'head', vars: trainableVars(head.layers) }
    ]
  }
}
