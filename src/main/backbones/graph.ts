// The layer graph of a LayersModel as plain data, read from the model's own config rather than
// from `layer.inboundNodes`: re-applying layers (as segments.ts does) adds nodes to the shared
// layers, while a model's config lists only the nodes that belong to that model.
import type * as tf from '@tensorflow/tfjs'
import { BackboneError } from './errors'
import type { LayerGroup } from './types'

export interface LayerInput {
  layer: string
  tensorIndex: number
}

export interface GraphLayer {
  name: string
  className: string
  inputs: LayerInput[]
  /** call arguments recorded when the layer was applied (e.g. `training` for some layers) */
  kwargs: Record<string, unknown>
}

/** serialized node data: [layerName, nodeIndex, tensorIndex, kwargs] */
type NodeData = [string, number, number, Record<string, unknown>?]

interface SerializedLayer {
  name: string
  className: string
  inboundNodes: NodeData[][]
}

/** The model's layers in the order its config lists them, which is a topological order. */
export function modelGraph(model: tf.LayersModel): GraphLayer[] {
  const config = model.getConfig() as unknown as { layers: SerializedLayer[] }
  return config.layers.map((layer) => {
    if (layer.inboundNodes.length > 1) {
      throw new BackboneError(
        'BACKBONE_BAD_LAYER',
        `layer ${layer.name} is applied ${layer.inboundNodes.length} times in ${model.name}; shared layers cannot be split into groups`
      )
    }
    const node = layer.inboundNodes[0] ?? []
    return {
      name: layer.name,
      className: layer.className,
      inputs: node.map(([name, , tensorIndex]) => ({ layer: name, tensorIndex })),
      kwargs: node[0]?.[3] ?? {}
    }
  })
}

export function layerIndex(graph: readonly GraphLayer[], name: string): number {
  const index = graph.findIndex((layer) => layer.name === name)
  if (index < 0) throw new BackboneError('BACKBONE_BAD_LAYER', `the model has no layer named ${name}`)
  return index
}

/** `name` and every layer its output depends on. */
export function ancestors(graph: readonly GraphLayer[], name: string): Set<string> {
  const byName = new Map(graph.map((layer) => [layer.name, layer]))
  const seen = new Set<string>()
  const stack = [name]
  while (stack.length > 0) {
    const current = stack.pop() as string
    if (seen.has(current)) continue
    seen.add(current)
    for (const input of byName.get(current)?.inputs ?? []) stack.push(input.layer)
  }
  return seen
}

/** The layer (other than `cut`) whose output some later layer reads across the cut, if any.
 * None means `cut`'s output is the only tensor crossing it: the model can be split there. */
export function crossingTensor(graph: readonly GraphLayer[], cut: string): { from: string; readBy: string } | null {
  layerIndex(graph, cut) // an unknown layer is an error, not "no crossing"
  const below = ancestors(graph, cut)
  for (const layer of graph) {
    if (below.has(layer.name)) continue
    for (const input of layer.inputs) {
      if (input.layer !== cut && below.has(input.layer)) return { from: input.layer, readBy: layer.name }
    }
  }
  return null
}

export function isSingleTensorCut(graph: readonly GraphLayer[], cut: string): boolean {
  return crossingTensor(graph, cut) === null
}

const POOLING_CLASSES = new Set(['GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'AveragePooling2D', 'MaxPooling2D', 'Flatten'])

function outputRank(model: tf.LayersModel, name: string): number {
  const shape = model.getLayer(name).outputShape
  return Array.isArray(shape[0]) ? -1 : shape.length
}

/** The last 4D (feature map) layer before the global pooling that starts a classifier head;
 * for a model without such pooling, its last 4D layer. */
export function inferFeatureLayer(model: tf.LayersModel): string {
  const graph = modelGraph(model)
  const pooling = graph.find((layer) => POOLING_CLASSES.has(layer.className) && layer.inputs.length === 1 && isPoolingToVector(model, layer))
  const candidates = pooling ? [...ancestors(graph, pooling.name)].filter((name) => name !== pooling.name) : graph.map((layer) => layer.name)
  const ordered = graph.filter((layer) => candidates.includes(layer.name) && layer.className !== 'InputLayer')
  for (let i = ordered.length - 1; i >= 0; i--) {
    const name = (ordered[i] as GraphLayer).name
    if (outputRank(model, name) === 4 && isSingleTensorCut(graph, name)) return name
  }
  throw new BackboneError('BACKBONE_BAD_LAYER', `${model.name} has no 4D feature-map layer to use as the feature layer`)
}

/** Pooling layers count as "global" when what follows them is no longer a spatial map:
 * GlobalAveragePooling2D always, AveragePooling2D only when it shrinks the map to 1x1. */
function isPoolingToVector(model: tf.LayersModel, layer: GraphLayer): boolean {
  if (layer.className.startsWith('Global') || layer.className === 'Flatten') return true
  const shape = model.getLayer(layer.name).outputShape as (number | null)[]
  return shape.length === 4 && shape[1] === 1 && shape[2] === 1
}

const ATTACHED_CLASSES = new Set(['BatchNormalization', 'Activation', 'ReLU', 'LeakyReLU', 'PReLU', 'ELU', 'Softmax'])

/** A cut worth offering as a group boundary: a single-tensor cut that does not separate a
 * convolution from the BatchNorm or activation that belongs to it. */
function isCleanCut(graph: readonly GraphLayer[], name: string): boolean {
  const readers = graph.filter((layer) => layer.inputs.some((input) => input.layer === name))
  return readers.every((reader) => !ATTACHED_CLASSES.has(reader.className)) && isSingleTensorCut(graph, name)
}

/** Groups for a backbone nobody described by hand. Each boundary is the clean cut, among those
 * reached after `fraction` of the body's parameters (and before the next fraction), with the
 * smallest output: cheapest to cache, and in bottleneck networks a block output. The earliest
 * group is then the high-resolution stem (few parameters, many FLOPs), the last a small tail. */
export function autoGroups(model: tf.LayersModel, featureLayer: string, fractions: readonly number[] = [0.05, 0.25, 0.6]): LayerGroup[] {
  const graph = modelGraph(model)
  const body = graph.slice(0, layerIndex(graph, featureLayer))
  const total = body.reduce((sum, layer) => sum + model.getLayer(layer.name).countParams(), 0) + model.getLayer(featureLayer).countParams()
  let cumulative = 0
  const candidates: { name: string; reached: number; size: number }[] = []
  for (const layer of body) {
    cumulative += model.getLayer(layer.name).countParams()
    if (layer.className === 'InputLayer' || !isCleanCut(graph, layer.name)) continue
    const shape = model.getLayer(layer.name).outputShape as (number | null)[]
    candidates.push({ name: layer.name, reached: cumulative / total, size: shape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1) })
  }
  const boundaries: string[] = []
  fractions.forEach((fraction, i) => {
    const window = candidates.filter((c) => c.reached >= fraction && c.reached < (fractions[i + 1] ?? 1))
    const best = window.reduce<(typeof window)[number] | undefined>((min, c) => (min === undefined || c.size < min.size ? c : min), undefined)
    if (best && !boundaries.includes(best.name)) boundaries.push(best.name)
  })
  boundaries.push(featureLayer)
  return boundaries.map((lastLayer, i) => ({ name: `group ${i + 1} (to ${lastLayer})`, lastLayer }))
}
