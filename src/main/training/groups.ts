import type * as tf from '@tensorflow/tfjs'
import type { BackboneSpec } from '../backbones'
import { layerIndex, modelGraph } from '../backbones/graph'

/** Layer names of each backbone group, in graph order (fastai's layer groups). */
export function groupMembers(model: tf.LayersModel, spec: Pick<BackboneSpec, 'groups'>): string[][] {
  const graph = modelGraph(model)
  let previous = -1
  return spec.groups.map((g) => {
    const last = layerIndex(graph, g.lastLayer)
    const names = graph
      .slice(previous + 1, last + 1)
      .filter((l) => l.className !== 'InputLayer')
      .map((l) => l.name)
    previous = last
    return names
  })
}

/** The layer whose output feeds the first thawed group: null when the whole backbone thaws. */
export function boundaryLayer(spec: Pick<BackboneSpec, 'groups'>, firstThawed: number): string | null {
  return firstThawed === 0 ? null : spec.groups[firstThawed - 1]!.lastLayer
}

export const isBatchNorm = (layer: tf.layers.Layer): boolean => layer.getClassName() === 'BatchNormalization'
