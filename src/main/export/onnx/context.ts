// What a layer converter sees: the layer, its settings and weights, and the graph to add to.
import type * as tf from '@tensorflow/tfjs'
import { OnnxExportError } from './errors'
import type { GraphBuilder, Layout, Shape, Value } from './graph'

/** A layer weight read out of tfjs, in its Keras shape (e.g. conv kernels as [kh, kw, in, out]). */
export interface Weight {
  shape: number[]
  data: Float32Array
}

/** What a converter returns for each output: the ONNX name and the layout it is in. */
export interface Out {
  name: string
  layout: Layout
}

export type Config = Record<string, unknown>

export interface LayerContext {
  readonly g: GraphBuilder
  readonly layer: tf.layers.Layer
  readonly className: string
  /** The layer's name, prefixed by the names of the models it is nested in; names its weights. */
  readonly prefix: string
  /** Names the nodes of this one application of the layer (prefix, or prefix_1 when shared). */
  readonly scope: string
  /** getConfig() of the layer: tfjs's camelCase keys. */
  readonly config: Config
  /** getWeights() of the layer, in tfjs's order (kernel before bias, gamma/beta/mean/variance). */
  readonly weights: readonly Weight[]
  readonly outputShapes: readonly Shape[]
  readonly opset: number
}

export type LayerConverter = (ctx: LayerContext, inputs: readonly Value[]) => Out | Out[]

export function unsupported(ctx: Pick<LayerContext, 'prefix' | 'className'>, why: string): OnnxExportError {
  return new OnnxExportError('ONNX_UNSUPPORTED_LAYER', `Cannot export layer "${ctx.prefix}" (${ctx.className}) to ONNX: ${why}`)
}

// Typed readers for getConfig() values; a wrong type is a model we do not understand, not a crash.

function bad(ctx: LayerContext, key: string, want: string): OnnxExportError {
  return unsupported(ctx, `its setting ${key} = ${JSON.stringify(ctx.config[key])} is not ${want}`)
}

export function num(ctx: LayerContext, key: string, fallback?: number): number {
  const v = ctx.config[key] ?? fallback
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(ctx, key, 'a number')
  return v
}

export function optionalNum(ctx: LayerContext, key: string): number | null {
  const v = ctx.config[key]
  return v == null ? null : num(ctx, key)
}

/** A pair such as kernelSize or strides, which Keras also accepts as a single number. */
export function pair(ctx: LayerContext, key: string, fallback?: [number, number]): [number, number] {
  const v = ctx.config[key] ?? fallback
  if (typeof v === 'number') return [v, v]
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) return [v[0] as number, v[1] as number]
  throw bad(ctx, key, 'a number or a pair of numbers')
}

export function numList(ctx: LayerContext, key: string): number[] {
  const v = ctx.config[key]
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[]
  throw bad(ctx, key, 'a list of numbers')
}

export function str(ctx: LayerContext, key: string, fallback?: string): string {
  const v = ctx.config[key] ?? fallback
  if (typeof v !== 'string') throw bad(ctx, key, 'a string')
  return v
}

export function bool(ctx: LayerContext, key: string, fallback: boolean): boolean {
  const v = ctx.config[key] ?? fallback
  if (typeof v !== 'boolean') throw bad(ctx, key, 'true or false')
  return v
}

/** Spatial layers are exported for channels-last data only (what tfjs models use). */
export function requireChannelsLast(ctx: LayerContext): void {
  const format = ctx.config['dataFormat']
  if (format != null && format !== 'channelsLast' && format !== 'channels_last') {
    throw unsupported(ctx, `data format ${String(format)} is not supported, only channels-last`)
  }
}

export function weight(ctx: LayerContext, index: number, what: string): Weight {
  const w = ctx.weights[index]
  if (!w) throw unsupported(ctx, `it has no ${what} weight (weight #${index})`)
  return w
}

export function requireRank(ctx: LayerContext, input: Value, rank: number): void {
  if (input.shape.length !== rank) {
    throw unsupported(ctx, `it takes a rank-${rank} input here, got shape [${input.shape.map(String).join(', ')}]`)
  }
}

/** The single input of a one-input layer. */
export function one(ctx: LayerContext, inputs: readonly Value[]): Value {
  const [x] = inputs
  if (inputs.length !== 1 || !x) throw unsupported(ctx, `it takes one input, got ${inputs.length}`)
  return x
}
