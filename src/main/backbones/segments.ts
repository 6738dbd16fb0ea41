// Cutting a backbone into pieces that share its weights. This is what "cache at the freeze
// boundary" rests on: trunk = input -> cut (run once, cached), thawed part = cut -> feature
// layer (trained). Because the pieces re-apply the original layer objects, training a segment
// trains the backbone, and disposing a segment only drops its reference to the shared weights.
import * as tf from '@tensorflow/tfjs'
import { BackboneError } from './errors'
import { ancestors, crossingTensor, layerIndex, modelGraph, type GraphLayer } from './graph'
import type { GroupDescription } from '../../shared/types'
import type { BackboneSpec } from './types'

function outputShapeOf(model: tf.LayersModel, name: string): (number | null)[] {
  const shape = model.getLayer(name).outputShape
  if (Array.isArray(shape[0])) throw new BackboneError('BACKBONE_BAD_LAYER', `layer ${name} has several outputs; cut at a single-output layer`)
  return shape as (number | null)[]
}

/** A model from `fromLayer`'s output (null: the model's input) to `toLayer`'s output, sharing
 * the original layers and weights. Throws when another tensor than `fromLayer`'s output crosses
 * the cut (e.g. a cut inside a residual block), since the segment could not be fed then. */
export function buildSegment(model: tf.LayersModel, fromLayer: string | null, toLayer: string): tf.LayersModel {
  const graph = modelGraph(model)
  const end = layerIndex(graph, toLayer)
  const start = fromLayer === null ? -1 : layerIndex(graph, fromLayer)
  if (start >= end) throw new BackboneError('BACKBONE_BAD_LAYER', `segment ${fromLayer} -> ${toLayer}: ${fromLayer} does not come before ${toLayer}`)

  const inputLayerName = fromLayer ?? model.inputLayers[0]?.name
  if (inputLayerName === undefined || (fromLayer === null && model.inputLayers.length !== 1)) {
    throw new BackboneError('BACKBONE_BAD_LAYER', `segments need a model with exactly one input; ${model.name} has ${model.inputLayers.length}`)
  }
  if (fromLayer !== null) {
    const crossing = crossingTensor(graph, fromLayer)
    if (crossing) {
      throw new BackboneError(
        'BACKBONE_BAD_LAYER',
        `cannot cut at ${fromLayer}: ${crossing.readBy} also reads ${crossing.from} from below the cut; cut at a block output instead`
      )
    }
  }
  const below = fromLayer === null ? new Set<string>() : ancestors(graph, fromLayer)
  const needed = ancestors(graph, toLayer)
  const shape = outputShapeOf(model, inputLayerName)
  const input = tf.input({ shape: shape.slice(1) as number[], name: `segment_input__${inputLayerName}`, dtype: 'float32' })
  const output = applyLayers(model, graph, { inputLayerName, below, needed, fromLayer, toLayer }, input)
  return tf.model({ inputs: input, outputs: output, name: `${model.name}__${fromLayer ?? 'input'}__${toLayer}` })
}

/** Re-applies the layers between two cuts of `model` to `input`, inline (no nested model), for
 * building larger networks from a backbone (e.g. the fused classifier that is exported). */
export function applySegment(model: tf.LayersModel, fromLayer: string | null, toLayer: string, input: tf.SymbolicTensor): tf.SymbolicTensor {
  const graph = modelGraph(model)
  const inputLayerName = fromLayer ?? model.inputLayers[0]?.name
  if (inputLayerName === undefined) throw new BackboneError('BACKBONE_BAD_LAYER', `${model.name} has no input layer`)
  const below = fromLayer === null ? new Set<string>() : ancestors(graph, fromLayer)
  return applyLayers(model, graph, { inputLayerName, below, needed: ancestors(graph, toLayer), fromLayer, toLayer }, input)
}

function applyLayers(
  model: tf.LayersModel,
  graph: GraphLayer[],
  cut: { inputLayerName: string; below: Set<string>; needed: Set<string>; fromLayer: string | null; toLayer: string },
  input: tf.SymbolicTensor
): tf.SymbolicTensor {
  const outputs = new Map<string, tf.SymbolicTensor[]>([[cut.inputLayerName, [input]]])
  for (const layer of graph) {
    if (!cut.needed.has(layer.name) || cut.below.has(layer.name) || layer.className === 'InputLayer') continue
    outputs.set(layer.name, applyLayer(model, layer, outputs))
  }
  const output = outputs.get(cut.toLayer)?.[0]
  if (!output) throw new BackboneError('BACKBONE_BAD_LAYER', `segment ${cut.fromLayer} -> ${cut.toLayer} does not reach ${cut.toLayer}`)
  return output
}

function applyLayer(model: tf.LayersModel, layer: GraphLayer, outputs: Map<string, tf.SymbolicTensor[]>): tf.SymbolicTensor[] {
  const inputs = layer.inputs.map(({ layer: from, tensorIndex }) => {
    const tensor = outputs.get(from)?.[tensorIndex]
    if (!tensor) throw new BackboneError('BACKBONE_BAD_LAYER', `layer ${layer.name} reads ${from}, which is outside the segment`)
    return tensor
  })
  const kwargs = Object.keys(layer.kwargs).length > 0 ? layer.kwargs : undefined
  const applied = model.getLayer(layer.name).apply(inputs.length === 1 ? (inputs[0] as tf.SymbolicTensor) : inputs, kwargs)
  return (Array.isArray(applied) ? applied : [applied]) as tf.SymbolicTensor[]
}

export type { GroupDescription }

/** Weights that train when the layer is thawed, whatever its current state. Layer exposes no
 * such list: flip `trainable` on and back, which touches nothing else. */
function thawedParamCount(layer: tf.layers.Layer): number {
  const wasTrainable = layer.trainable
  layer.trainable = true
  const count = layer.trainableWeights.reduce((sum, weight) => sum + tf.util.sizeFromShape(weight.shape as number[]), 0)
  layer.trainable = wasTrainable
  return count
}

export function describeGroups(model: tf.LayersModel, spec: Pick<BackboneSpec, 'groups'>): GroupDescription[] {
  const graph = modelGraph(model)
  let previous = -1
  return spec.groups.map((group) => {
    const last = layerIndex(graph, group.lastLayer)
    if (last <= previous) throw new BackboneError('BACKBONE_BAD_LAYER', `group ${group.name} ends at ${group.lastLayer}, before the previous group`)
    const members = graph.slice(previous + 1, last + 1).filter((layer) => layer.className !== 'InputLayer')
    previous = last
    const layers = members.map((member) => model.getLayer(member.name))
    return {
      name: group.name,
      firstLayer: (members[0] as GraphLayer).name,
      lastLayer: group.lastLayer,
      layerCount: members.length,
      params: layers.reduce((sum, layer) => sum + layer.countParams(), 0),
      trainableParams: layers.reduce((sum, layer) => sum + thawedParamCount(layer), 0),
      outputShape: outputShapeOf(model, group.lastLayer).slice(1) as number[]
    }
  })
}
