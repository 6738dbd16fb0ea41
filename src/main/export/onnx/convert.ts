// tf.LayersModel -> ONNX ModelProto: walk the Keras topology from the outputs back to the inputs,
// emit each layer's nodes once its inputs exist (so nodes come out in topological order), and
// serialize with protobufjs.
import * as tf from '@tensorflow/tfjs'
import { type LayerContext, type Weight } from './context'
import { OnnxExportError } from './errors'
import { GraphBuilder, type Shape, type Value } from './graph'
import { CONVERTERS, STRUCTURAL_TYPES } from './layers'
import { DataType, encodeModel, type ValueInfo } from './onnxProto'

export interface OnnxExportOptions {
  /** ONNX opset, 13 (the default, the most widely deployable) to 21. */
  opset?: number
  /** producer_name in the file; default 'thaw-studio'. */
  producer?: string
  producerVersion?: string
  /** Graph input name when the model has one input (default 'input'); else the input layers' names. */
  inputName?: string
  /** Graph output name when the model has one output (default 'output'); else the layers' names. */
  outputName?: string
  docString?: string
}

export const MIN_OPSET = 13
export const MAX_OPSET = 21
export const DEFAULT_OPSET = 13

/** The lowest IR version that may carry each opset (onnx/docs/Versioning.md). */
export function irVersionFor(opset: number): number {
  if (opset <= 14) return 7
  if (opset <= 18) return 8
  if (opset <= 20) return 9
  return 10
}

export function supportedLayerTypes(): string[] {
  return [...Object.keys(CONVERTERS), ...STRUCTURAL_TYPES].sort()
}

function isNestedModel(layer: tf.layers.Layer): layer is tf.LayersModel {
  return layer instanceof tf.LayersModel
}

/** Every layer, nested models included, whose type this exporter cannot translate. */
export function unsupportedLayers(model: tf.LayersModel, prefix = ''): { name: string; type: string }[] {
  const found: { name: string; type: string }[] = []
  for (const layer of model.layers) {
    if (isNestedModel(layer)) found.push(...unsupportedLayers(layer, `${prefix}${layer.name}/`))
    else if (layer.getClassName() !== 'InputLayer' && !Object.hasOwn(CONVERTERS, layer.getClassName())) {
      found.push({ name: `${prefix}${layer.name}`, type: layer.getClassName() })
    }
  }
  return found
}

function checkOptions(opset: number): void {
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new OnnxExportError('ONNX_BAD_OPTIONS', `ONNX opset ${opset} is not supported: use ${MIN_OPSET} to ${MAX_OPSET}`)
  }
}

function valueInfo(name: string, shape: Shape): ValueInfo {
  const dim = shape.map((d, i) => (d == null ? { dimParam: i === 0 ? 'N' : `${name}_dim${i}` } : { dimValue: d }))
  return { name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim } } } }
}

class Walker {
  private readonly prefixes = new Map<tf.layers.Layer, string>()
  private readonly usedPrefixes = new Set<string>()
  private readonly weights = new Map<tf.layers.Layer, Weight[]>()

  constructor(
    readonly g: GraphBuilder,
    readonly opset: number
  ) {}

  /** Converts the graph of `container` given ONNX values for its inputs; returns its outputs. */
  async walk(container: tf.LayersModel, inputs: readonly Value[], prefix: string): Promise<Value[]> {
    const known = new Map<number, Value>()
    container.inputs.forEach((t, i) => known.set(t.id, inputs[i] as Value))
    const visit = async (t: tf.SymbolicTensor): Promise<Value> => {
      const done = known.get(t.id)
      if (done) return done
      const layer = t.sourceLayer
      const node = layer.inboundNodes[t.nodeIndex]
      if (!node) throw new OnnxExportError('ONNX_BAD_MODEL', `layer "${layer.name}" has no call #${t.nodeIndex} in the graph`)
      const ins: Value[] = []
      for (const input of node.inputTensors) ins.push(await visit(input))
      const outs = await this.layer(layer, ins, node.outputTensors, prefix)
      node.outputTensors.forEach((o, i) => known.set(o.id, outs[i] as Value))
      const value = known.get(t.id)
      if (!value) throw new OnnxExportError('ONNX_BAD_MODEL', `layer "${layer.name}" did not produce output #${t.tensorIndex}`)
      return value
    }
    const outputs: Value[] = []
    for (const t of container.outputs) outputs.push(await visit(t))
    return outputs
  }

  private async layer(layer: tf.layers.Layer, inputs: Value[], outputs: tf.SymbolicTensor[], prefix: string): Promise<Value[]> {
    const className = layer.getClassName()
    if (isNestedModel(layer)) return this.walk(layer, inputs, `${prefix}${layer.name}/`)
    if (className === 'InputLayer') {
      throw new OnnxExportError('ONNX_BAD_MODEL', `input layer "${prefix}${layer.name}" is not one of the model's inputs`)
    }
    const convert = Object.hasOwn(CONVERTERS, className) ? CONVERTERS[className] : undefined
    const layerPrefix = this.prefixFor(layer, prefix)
    if (!convert) {
      throw new OnnxExportError(
        'ONNX_UNSUPPORTED_LAYER',
        `Cannot export layer "${layerPrefix}" (${className}) to ONNX: this layer type is not supported. ` +
          `Supported types: ${supportedLayerTypes().join(', ')}`
      )
    }
    const ctx: LayerContext = {
      g: this.g,
      layer,
      className,
      prefix: layerPrefix,
      scope: layerPrefix,
      config: layer.getConfig() as Record<string, unknown>,
      weights: await this.weightsOf(layer, layerPrefix, className),
      outputShapes: outputs.map((o) => o.shape),
      opset: this.opset
    }
    const result = convert(ctx, inputs)
    const list = Array.isArray(result) ? result : [result]
    return list.map((out, i) => ({ ...out, shape: outputs[i]?.shape ?? [] }))
  }

  /** One name per layer object, so a layer applied twice reuses its weights by name. */
  private prefixFor(layer: tf.layers.Layer, prefix: string): string {
    const known = this.prefixes.get(layer)
    if (known !== undefined) return known
    let name = `${prefix}${layer.name}`
    for (let i = 1; this.usedPrefixes.has(name); i++) name = `${prefix}${layer.name}_${i}`
    this.usedPrefixes.add(name)
    this.prefixes.set(layer, name)
    return name
  }

  private async weightsOf(layer: tf.layers.Layer, name: string, className: string): Promise<Weight[]> {
    const cached = this.weights.get(layer)
    if (cached) return cached
    const read = await Promise.all(
      layer.getWeights().map(async (t) => {
        if (t.dtype !== 'float32') {
          throw new OnnxExportError('ONNX_UNSUPPORTED_LAYER', `Cannot export layer "${name}" (${className}) to ONNX: it has a ${t.dtype} weight`)
        }
        // getWeights() hands out the live variables: copy the values, never dispose them.
        return { shape: t.shape, data: new Float32Array(await t.data()) }
      })
    )
    this.weights.set(layer, read)
    return read
  }
}

/**
 * Exports a TF.js Layers model as an ONNX ModelProto (serialized). Inputs and outputs keep the
 * model's Keras (NHWC) interface with a dynamic batch dimension 'N'; inside, convolutions run in
 * NCHW with Transposes only where the layout changes. Weights are float32 initializers.
 */
export async function tfjsToOnnx(model: tf.LayersModel, opts: OnnxExportOptions = {}): Promise<Uint8Array> {
  const opset = opts.opset ?? DEFAULT_OPSET
  checkOptions(opset)
  const missing = unsupportedLayers(model)
  if (missing.length > 0) {
    const list = missing.map((l) => `"${l.name}" (${l.type})`).join(', ')
    throw new OnnxExportError(
      'ONNX_UNSUPPORTED_LAYER',
      `Cannot export to ONNX: unsupported layer${missing.length > 1 ? 's' : ''} ${list}. Supported types: ${supportedLayerTypes().join(', ')}`
    )
  }

  const g = new GraphBuilder()
  const oneInput = model.inputs.length === 1
  if (oneInput && model.outputs.length === 1 && (opts.inputName ?? 'input') === (opts.outputName ?? 'output')) {
    throw new OnnxExportError('ONNX_BAD_OPTIONS', `the input and the output cannot both be named "${opts.inputName ?? 'input'}"`)
  }
  const inputValues: Value[] = model.inputs.map((t) => {
    if (t.dtype !== 'float32') {
      throw new OnnxExportError('ONNX_BAD_MODEL', `model input "${t.sourceLayer.name}" is ${t.dtype}; only float32 inputs are supported`)
    }
    const name = oneInput ? g.reserve(opts.inputName ?? 'input') : g.unique(t.sourceLayer.name)
    return { name, shape: t.shape, layout: 'keras' }
  })
  const outputNames = model.outputs.map((t) =>
    model.outputs.length === 1 ? g.reserve(opts.outputName ?? 'output') : g.unique(`${t.sourceLayer.name}${t.tensorIndex > 0 ? `_${t.tensorIndex}` : ''}`)
  )

  const outputs = await new Walker(g, opset).walk(model, inputValues, '')
  // Graph outputs in Keras order; Identity gives them their public names.
  outputs.forEach((v, i) => g.node('Identity', [g.inLayout(v, 'keras')], {}, 'output', outputNames[i]))

  return encodeModel({
    irVersion: irVersionFor(opset),
    opsetImport: [{ domain: '', version: opset }],
    producerName: opts.producer ?? 'thaw-studio',
    ...(opts.producerVersion ? { producerVersion: opts.producerVersion } : {}),
    ...(opts.docString ? { docString: opts.docString } : {}),
    graph: {
      name: model.name,
      node: g.nodes,
      initializer: g.initializers,
      input: inputValues.map((v) => valueInfo(v.name, v.shape)),
      output: model.outputs.map((t, i) => valueInfo(outputNames[i] as string, t.shape))
    }
  })
}
