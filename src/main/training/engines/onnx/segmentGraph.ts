// Runs in the engine worker. A thawed backbone segment (a tf.LayersModel from a freeze boundary to
// the feature layer, backbones/segments.ts) written out as ONNX nodes: its forward pass in NCHW
// with a dynamic batch axis, and on request its backward pass, so that a thawing stage's training
// step runs on ONNX Runtime (issue 11 item 2; the engine that runs it adds concat pooling, the
// head, the loss and the optimizer). The TF.js model stays the definition: layers are read from
// its config and weights, and every layer type's gradients are checked against TF.js autodiff in
// the test, on tiny models and on whole MobileNetV2 groups.
//
// Measured (bench/cases/segmentGraph.ts, in `npm run bench train` as segmentGraph), forward +
// backward of MobileNetV2's last four blocks from their 14x14x96 cut, batch 16, CPU time per image
// on one thread (wall time was meaningless at the load average of 8-12 these ran at):
//   NCHW formulation (per-image MatMul + ReduceSum, Where masks): 18-19 ms; this CNHW one: 13-15
//   ms (2 threads, wall: 45-49 against 49-55 ms per image at load 10). Of a 1-thread batch of 16
//   at load 12: Gemm 302 ms, ConvTranspose 79, Slice 78, Conv 72, Mul 49, Transpose 48, Pad 20,
//   Clip 16, ReduceSum 14: the 1x1 products are half, depthwise convolutions (ONNX Runtime runs a
//   grouped Conv whose weights are inputs through im2col per group) most of the rest.
// Issue 11 (segkernels), the last four blocks, batch 16, 1 thread, process CPU time per image
// (median of 7; load average 4.4-5.0; before/after alternately): 16.5 / 14.0 ms before, 14.2 / 12.1
// with depthwise grouped per image in a graph built for the batch and 7x7 kernel gradients by
// correlation. The whole backbone (freezeTo 0, batch 3, 1 thread, ONNX Runtime's profiler, ms per
// image, load 5.6-5.8): Conv 30.4 + ConvTranspose 22.5 + Transpose 11.7 -> Conv 36.5 +
// ConvTranspose 6.9 + Transpose 0.7; its kernels' total 152 -> 130 (process CPU time: no change
// measurable, 81-101 ms per image either way at load 2.3). With the NCHWc kernels (nchwcBlock) as
// the thawing step now builds it: the last four blocks 8.2-9.3 ms CPU per image against 13.0-14.5
// before issue 11's depthwise work (three alternations, load average 4.2-4.5); with every
// depthwise kernel gradient on them too: the four blocks 8.9-9.2 against 12.4-12.8, the whole
// backbone (batch 3) 51-56 against 90-92 (alternately, load average 3.6-3.8). With a known batch
// the NCHWc forward and dx read CNHW as [1, c * n, h, w], no swaps: four blocks 7.1 against
// 7.2-7.7, whole 41-43 against 43 (a wash within noise). Per op then (ONNX Runtime's profiler, 1
// thread, ms per image, load 4.0): the four blocks' kernels 8.4 in all, Gemm 5.7, ReorderInput
// 0.42, Conv 0.40, ConvTranspose (stride-2 dx) 0.35, the ReLU6 masks (Cast, Mul, Clip, Greater,
// LessOrEqual, And) 0.97, Transpose 0.23, ReduceSum 0.13; the whole backbone's 54.9, Gemm 22.9,
// Conv 7.3, Cast 5.0, ReorderInput 4.8, Mul 2.9, ConvTranspose 2.4, Transpose 1.5.
// Tried and left out, slower in the whole graph: stride-2 dx as the NCHWc convolution of dy
// spread by zeros (Pad), 51-54 ms against 44-48 whole (again at 2 threads after the filters'
// Transposes went, whole network batch 8, alternately: 57-59 against 48-58; Pad alone took 8-10
// ms per image, where ConvTranspose takes 4-5 though it runs on one thread at any thread count);
// the ReLU backward as Where(x <= 0 or x > 6, 0, dy) (2x faster alone, 48-55 against 46 whole;
// again at 2 threads, whole network batch 8: Where alone 10-11 ms per image against 5-6 for Cast
// and Mul, 57-64 whole against 46-49), and as dy * Sign(y * (6 - y)) (Sign alone 8-11 ms per
// image: 66-69 whole against 54-58).
// Side by side with PyTorch 1.13 on one thread, batch 16, load average 8-9 (torch_reference.py,
// THREADS=1, which also trains a linear head): the last group 8.3 ms per image (PyTorch 16.7),
// the last four blocks 20.7 (PyTorch 24.8), the whole backbone from the input 222 (PyTorch 213;
// 589 before stride-2 depthwise kernel gradients left the strided Slices).
//
// Weights that train are graph inputs (the caller feeds the current values each step, in ONNX
// layout); weights that do not (batch-norm running statistics, layers made untrainable) are
// initializers taken when the graph is built.
import type * as tf from '@tensorflow/tfjs'
import { modelGraph } from '../../../backbones/graph'
import { GraphBuilder, permute } from '../../../export/onnx/graph'
import type { ValueInfo } from '../../../export/onnx/onnxProto'
import { tfPadding } from '../../../export/onnx/padding'
import { encodeGraph, valueInfo } from './onnxModel'
import { conv2d, depthwise, frozenBatchNorm, pointwise, relu, swapBatchAndChannels, trainBatchNorm, type Pads } from './convGradients'

export interface SegmentParam {
  /** graph input name of the weight, in ONNX layout */
  name: string
  /** the TF.js variable it mirrors (layer.trainableWeights[i].read()) */
  variable: tf.Variable
  layer: tf.layers.Layer
  /** ONNX shape */
  shape: number[]
  /** TF.js layout -> ONNX layout (HWIO -> OIHW, ...) */
  toOnnx(tfjs: Float32Array): Float32Array
  /** and back */
  fromOnnx(onnx: Float32Array): Float32Array
  /** decoupled weight decay applies (kernels, as step.ts decides) */
  decays: boolean
}

/** graph values, shape [c], biased variance */
export interface SegmentBatchStat {
  layer: tf.layers.Layer
  mean: string
  variance: string
}

export interface SegmentGraph {
  /** in the order of trainableVars(segment layers) (head.ts) */
  params: SegmentParam[]
  /** training mode only: one per BatchNormalization layer */
  batchStats: SegmentBatchStat[]
  /** NCHW value [N, c, h, w] */
  output: string
  /** with N = -1 (dynamic batch) */
  outputShape: [number, number, number, number]
  /** param name -> gradient value name (no dx of the input). Call once. */
  backward(dOutput: string): Map<string, string>
}

type LayerVariable = tf.layers.Layer['trainableWeights'][number]

/** A value of the forward, CNHW [c, N, h, w] (convGradients.ts says why); `grad` when some
 * parameter lies below it, so that its gradient is needed. `nchw`: the segment's input as given. */
interface Value {
  readonly name: string
  nchw?: string
  c: number
  h: number
  w: number
  grad: boolean
}

/** One layer's backward: the gradient of its output in, its inputs' gradients out (for the
 * inputs whose `grad` is set); the parameters' gradients go to `grads` as a side effect. */
interface Step {
  out: Value
  inputs: Value[]
  backward: (dy: string) => (string | null)[]
}

/** A layer or setting the graph cannot express; caught in addSegment and returned as its reason. */
class Unsupported extends Error {}

const SUPPORTED = ['Conv2D', 'DepthwiseConv2D', 'BatchNormalization', 'ReLU', 'Activation', 'Add']

type Config = Record<string, unknown>

/** Reads the layer's settings, refusing (with the layer's name) what the graph does not express. */
class LayerReader {
  readonly config: Config
  constructor(readonly layer: tf.layers.Layer) {
    this.config = layer.getConfig() as Config
  }

  refuse(why: string): Unsupported {
    return new Unsupported(`layer ${this.layer.name} (${this.layer.getClassName()}) ${why}`)
  }

  pair(key: string, fallback: [number, number]): [number, number] {
    const v = this.config[key] ?? fallback
    if (typeof v === 'number') return [v, v]
    if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) return [v[0] as number, v[1] as number]
    throw this.refuse(`has ${key} ${JSON.stringify(v)}, not a number or a pair of numbers`)
  }

  channelsLast(): void {
    const f = this.config['dataFormat']
    if (f != null && f !== 'channelsLast' && f !== 'channels_last') throw this.refuse(`has data format ${String(f)}; only channels-last trains on ONNX Runtime`)
  }

  /** The window of a convolution over x: kernel, strides, TF's padding as explicit pads. */
  window(x: Value): { kh: number; kw: number; sh: number; sw: number; pads: Pads } {
    this.channelsLast()
    const [kh, kw] = this.pair('kernelSize', [1, 1])
    const [sh, sw] = this.pair('strides', [1, 1])
    const dilation = this.pair('dilationRate', [1, 1])
    if (dilation.some((d) => d !== 1)) throw this.refuse(`is dilated (dilation rate ${dilation.join('x')}), which the training graph does not express`)
    const mode = this.config['padding'] ?? 'valid'
    if (mode !== 'same' && mode !== 'valid') throw this.refuse(`has padding "${String(mode)}"; only same and valid train on ONNX Runtime`)
    const [top, bottom] = tfPadding(x.h, kh, sh, 1, mode)
    const [left, right] = tfPadding(x.w, kw, sw, 1, mode)
    return { kh, kw, sh, sw, pads: [top, left, bottom, right] }
  }

  /** The fused activation: null (linear), or ReLU's cap (Infinity: uncapped). */
  activation(): number | null {
    const a = this.config['activation'] ?? 'linear'
    return activationCap(this, a)
  }

  variable(field: string): LayerVariable | null {
    const v = (this.layer as unknown as Record<string, LayerVariable | null | undefined>)[field]
    return v ?? null
  }
}

/** relu -> Infinity (no cap), relu6 -> 6, linear -> null. */
function activationCap(r: LayerReader, a: unknown): number | null {
  if (a === 'linear') return null
  if (a === 'relu') return Infinity
  if (a === 'relu6') return 6
  throw r.refuse(`has activation ${JSON.stringify(a)}; only linear, relu and relu6 train on ONNX Runtime`)
}

/** HWIO (Conv2D) -> OIHW, and back. */
const convLayout = (kh: number, kw: number, cin: number, cout: number) => ({
  shape: [cout, cin, kh, kw],
  toOnnx: (d: Float32Array) => permute(d, [kh, kw, cin, cout], [3, 2, 0, 1]).data,
  fromOnnx: (d: Float32Array) => permute(d, [cout, cin, kh, kw], [2, 3, 1, 0]).data
})
/** [kh, kw, c, 1] (DepthwiseConv2D, multiplier 1) -> [c, 1, kh, kw] (grouped Conv), and back. */
const depthwiseLayout = (kh: number, kw: number, c: number) => ({
  shape: [c, 1, kh, kw],
  toOnnx: (d: Float32Array) => permute(d, [kh, kw, c, 1], [2, 3, 0, 1]).data,
  fromOnnx: (d: Float32Array) => permute(d, [c, 1, kh, kw], [2, 3, 0, 1]).data
})
const vectorLayout = (c: number) => ({ shape: [c], toOnnx: (d: Float32Array) => d.slice(), fromOnnx: (d: Float32Array) => d.slice() })

interface Layout {
  shape: number[]
  toOnnx(d: Float32Array): Float32Array
  fromOnnx(d: Float32Array): Float32Array
}

/** Adds the segment's forward to g, reading the NCHW value `input` with a dynamic batch axis.
 * training: BN uses batch statistics (tfjs-layers' rule); false: running statistics (inference).
 * batch: the graph runs only at this batch size (depthwise convolutions as one grouped Conv per
 * batch, without Transposes: see convGradients.ts); omitted, any batch size runs.
 * nchwcBlock: ONNX Runtime's NCHWc channel block on this machine (nchwcBlockSize), for its fast
 * depthwise kernels; omitted or null, standard operators only.
 * Returns a plain-words reason when a layer or configuration is not supported. */
export function addSegment(g: GraphBuilder, segment: tf.LayersModel, input: string, opts: { training: boolean; batch?: number; nchwcBlock?: number | null }): SegmentGraph | string {
  if (opts.batch !== undefined && !(Number.isInteger(opts.batch) && opts.batch > 0)) throw new Error(`internal: a segment graph's batch is a positive integer, not ${opts.batch}`)
  try {
    return new SegmentWriter(g, segment, opts.training, opts.batch ?? null, opts.nchwcBlock ?? null).write(input)
  } catch (err) {
    if (err instanceof Unsupported) return err.message
    throw err
  }
}

class SegmentWriter {
  private readonly params = new Map<LayerVariable, SegmentParam>()
  /** param name -> its gradient, filled by backward */
  private readonly grads = new Map<string, string>()
  private readonly steps: Step[] = []
  private readonly batchStats: SegmentBatchStat[] = []

  constructor(
    private readonly g: GraphBuilder,
    private readonly segment: tf.LayersModel,
    private readonly training: boolean,
    private readonly batch: number | null = null,
    private readonly nchwcBlock: number | null = null
  ) {}

  write(input: string): SegmentGraph {
    const { segment } = this
    if (segment.inputs.length !== 1 || segment.outputs.length !== 1) {
      throw new Unsupported(`the segment ${segment.name} has ${segment.inputs.length} inputs and ${segment.outputs.length} outputs; one of each trains on ONNX Runtime`)
    }
    const inShape = segment.inputs[0]!.shape
    if (inShape.length !== 4 || inShape.slice(1).some((d) => d == null)) {
      throw new Unsupported(`the segment ${segment.name} reads a [${inShape.map(String).join(', ')}] input; a feature map of known size trains on ONNX Runtime`)
    }
    const [, h, w, c] = inShape as [null, number, number, number]
    const values = new Map<string, Value>()
    let graph
    try {
      graph = modelGraph(segment)
    } catch (err) {
      throw new Unsupported((err as Error).message)
    }
    for (const node of graph) {
      if (node.className === 'InputLayer') {
        const g = this.g
        let cnhw: string | undefined
        // transposed only if a layer reads it in CNHW (a first k x k convolution reads NCHW)
        values.set(node.name, { c, h, w, grad: false, nchw: input, get name() { return (cnhw ??= swapBatchAndChannels(g, 'segment_input', input)) } })
        continue
      }
      const inputs = node.inputs.map((i) => {
        const v = values.get(i.layer)
        if (!v || i.tensorIndex !== 0) throw new Unsupported(`layer ${node.name} reads ${i.layer}, which the segment does not compute`)
        return v
      })
      values.set(node.name, this.layer(segment.getLayer(node.name), inputs))
    }
    const out = values.get(segment.outputLayers[0]!.name)
    if (!out) throw new Unsupported(`the segment ${segment.name} does not compute its output`)

    const order = segment.layers.flatMap((l) => l.trainableWeights)
    for (const v of order) {
      if (!this.params.has(v)) throw new Unsupported(`the segment's weight ${v.name} is not used by the training graph`)
    }
    let done = false
    return {
      params: order.map((v) => this.params.get(v)!),
      batchStats: this.batchStats,
      output: swapBatchAndChannels(this.g, 'segment_output', out.name),
      outputShape: [-1, out.c, out.h, out.w],
      backward: (dOutput: string): Map<string, string> => {
        if (done) throw new Error('internal: a segment graph has one backward pass')
        done = true
        this.backward(out, swapBatchAndChannels(this.g, 'segment_output/grad', dOutput))
        return new Map(order.map((v) => [this.params.get(v)!.name, this.grads.get(this.params.get(v)!.name)!]))
      }
    }
  }

  /** Reverse topological order; a value read by several layers (a residual Add's input) gets the
   * sum of its readers' gradients, summed once all of them have run. */
  private backward(out: Value, dOutput: string): void {
    const pending = new Map<string, string[]>([[out.name, [dOutput]]])
    for (const step of [...this.steps].reverse()) {
      const parts = pending.get(step.out.name)
      if (!parts) continue
      pending.delete(step.out.name)
      const dy = parts.length === 1 ? parts[0]! : this.g.node('Sum', parts, {}, `${step.out.name}/grad`)
      step.backward(dy).forEach((dx, i) => {
        const x = step.inputs[i]!
        if (!x.grad || dx === null) return
        const list = pending.get(x.name) ?? []
        list.push(dx)
        pending.set(x.name, list)
      })
    }
  }

  /** A weight as a graph input (it trains) or an initializer (it does not). */
  private weight(layer: tf.layers.Layer, v: LayerVariable, role: string, layout: Layout): { name: string; trains: boolean } {
    const trains = layer.trainable && layer.trainableWeights.includes(v)
    const variable = v.read() as tf.Variable
    if (!trains) return { name: this.g.floatTensor(`${layer.name}/${role}`, layout.shape, layout.toOnnx(variable.dataSync() as Float32Array)), trains }
    const name = this.g.unique(`${layer.name}/${role}`)
    this.params.set(v, { name, variable, layer, shape: layout.shape, toOnnx: layout.toOnnx, fromOnnx: layout.fromOnnx, decays: /kernel/.test(variable.name) })
    return { name, trains }
  }

  private grad(name: string, value: string): void {
    this.grads.set(name, value)
  }

  private layer(layer: tf.layers.Layer, inputs: Value[]): Value {
    const r = new LayerReader(layer)
    const kind = layer.getClassName()
    if (kind !== 'Add' && inputs.length !== 1) throw r.refuse(`reads ${inputs.length} inputs`)
    switch (kind) {
      case 'Conv2D':
        return this.conv(r, inputs[0]!, false)
      case 'DepthwiseConv2D':
        return this.conv(r, inputs[0]!, true)
      case 'BatchNormalization':
        return this.batchNorm(r, inputs[0]!)
      case 'ReLU': {
        const max = r.config['maxValue']
        if (max != null && typeof max !== 'number') throw r.refuse(`has maxValue ${JSON.stringify(max)}`)
        return this.relu(layer.name, inputs[0]!, max ?? Infinity)
      }
      case 'Activation': {
        const cap = activationCap(r, r.config['activation'])
        return cap === null ? inputs[0]! : this.relu(layer.name, inputs[0]!, cap)
      }
      case 'Add':
        return this.add(r, inputs)
      default:
        throw r.refuse(`is not a layer type the training graph expresses (${SUPPORTED.join(', ')})`)
    }
  }

  private conv(r: LayerReader, x: Value, isDepthwise: boolean): Value {
    const layer = r.layer
    const win = r.window(x)
    const kernelVar = r.variable(isDepthwise ? 'depthwiseKernel' : 'kernel')
    if (!kernelVar) throw r.refuse('has no kernel')
    const [kh, kw, cin, cout] = kernelVar.shape as [number, number, number, number]
    if (kh !== win.kh || kw !== win.kw || cin !== x.c) throw r.refuse(`has a [${kernelVar.shape.join(', ')}] kernel over ${x.c} channels`)
    if (isDepthwise && cout !== 1) throw r.refuse(`has depth multiplier ${cout}; only 1 trains on ONNX Runtime`)
    if (!isDepthwise && r.config['groups'] != null && r.config['groups'] !== 1) throw r.refuse(`is a grouped convolution (groups ${String(r.config['groups'])})`)
    const cap = r.activation()
    const outC = isDepthwise ? cin : cout
    const kernel = this.weight(layer, kernelVar, isDepthwise ? 'depthwise_kernel' : 'kernel', isDepthwise ? depthwiseLayout(kh, kw, cin) : convLayout(kh, kw, cin, cout))
    const biasVar = r.config['useBias'] === false ? null : r.variable('bias')
    const bias = biasVar ? this.weight(layer, biasVar, 'bias', vectorLayout(outC)) : null
    const scope = layer.name
    const shape = { ...win, h: x.h, w: x.w }
    const isPointwise = !isDepthwise && kh === 1 && kw === 1 && win.sh === 1 && win.sw === 1
    let conv: { y: string; backward(dy: string): { dx(): string; dkernel(): string; dbias(): string } }
    let outH = x.h
    let outW = x.w
    if (isPointwise) {
      const k2 = this.g.node('Reshape', [kernel.name, this.g.int64Vector([cout, cin])], {}, `${scope}/Reshape`)
      conv = pointwise(this.g, scope, x.name, k2, bias?.name ?? null, { cin, cout, h: x.h, w: x.w })
    } else {
      const input = { cnhw: () => x.name, nchw: () => x.nchw ?? swapBatchAndChannels(this.g, scope, x.name) }
      const c = isDepthwise ? depthwise(this.g, scope, x.name, kernel.name, bias?.name ?? null, { ...shape, c: cin, batch: this.batch, nchwcBlock: this.nchwcBlock }) : conv2d(this.g, scope, input, kernel.name, bias?.name ?? null, { ...shape, cin, cout })
      conv = c
      outH = c.outShape.h
      outW = c.outShape.w
    }
    const trains = kernel.trains || (bias?.trains ?? false)
    const pre: Value = { name: conv.y, c: outC, h: outH, w: outW, grad: trains || x.grad }
    this.steps.push({
      out: pre,
      inputs: [x],
      backward: (dy) => {
        const d = conv.backward(dy)
        if (kernel.trains) {
          const dk = d.dkernel()
          this.grad(kernel.name, isPointwise ? this.g.node('Reshape', [dk, this.g.int64Vector([cout, cin, 1, 1])], {}, `${scope}/Reshape`) : dk)
        }
        if (bias?.trains) this.grad(bias.name, d.dbias())
        return [x.grad ? d.dx() : null]
      }
    })
    return cap === null ? pre : this.relu(scope, pre, cap)
  }

  private batchNorm(r: LayerReader, x: Value): Value {
    const layer = r.layer
    const rawAxis = r.config['axis'] ?? -1
    const axis = Array.isArray(rawAxis) && rawAxis.length === 1 ? rawAxis[0] : rawAxis
    if (axis !== -1 && axis !== 3) throw r.refuse(`normalizes over axis ${JSON.stringify(rawAxis)}; only the channel axis trains on ONNX Runtime`)
    const epsilon = r.config['epsilon'] ?? 1e-3
    if (typeof epsilon !== 'number') throw r.refuse(`has epsilon ${JSON.stringify(epsilon)}`)
    const c = x.c
    // tfjs-layers' BatchNormalization reads gamma and beta unconditionally in training (it throws
    // without them) and cannot differentiate its inference form without gamma: TF.js, the
    // definition, does not train such a layer, so neither does this graph
    if (r.config['scale'] === false || r.config['center'] === false) throw r.refuse(`has no ${r.config['scale'] === false ? 'scale (gamma)' : 'offset (beta)'}, which TF.js itself cannot train`)
    const gammaVar = r.config['scale'] === false ? null : r.variable('gamma')
    const betaVar = r.config['center'] === false ? null : r.variable('beta')
    const gamma = gammaVar ? this.weight(layer, gammaVar, 'gamma', vectorLayout(c)) : null
    const beta = betaVar ? this.weight(layer, betaVar, 'beta', vectorLayout(c)) : null
    const p = { gamma: gamma?.name ?? null, beta: beta?.name ?? null, epsilon, c }
    let bn: { y: string; backward(dy: string): { dx(): string; dgamma(): string; dbeta(): string } }
    if (this.training) {
      const t = trainBatchNorm(this.g, layer.name, x.name, p)
      this.batchStats.push({ layer, mean: t.mean, variance: t.variance })
      bn = t
    } else {
      const stat = (field: string): string => {
        const v = r.variable(field)
        if (!v) throw r.refuse(`has no ${field}`)
        return this.g.floatTensor(`${layer.name}/${field}`, [c], (v.read().dataSync() as Float32Array).slice())
      }
      const [mean, variance] = [stat('movingMean'), stat('movingVariance')]
      bn = frozenBatchNorm(this.g, layer.name, x.name, { ...p, mean, variance })
    }
    const trains = (gamma?.trains ?? false) || (beta?.trains ?? false)
    const out: Value = { name: bn.y, c, h: x.h, w: x.w, grad: trains || x.grad }
    this.steps.push({
      out,
      inputs: [x],
      backward: (dy) => {
        const d = bn.backward(dy)
        if (gamma?.trains) this.grad(gamma.name, d.dgamma())
        if (beta?.trains) this.grad(beta.name, d.dbeta())
        return [x.grad ? d.dx() : null]
      }
    })
    return out
  }

  private relu(scope: string, x: Value, cap: number): Value {
    const act = relu(this.g, scope, x.name, cap === Infinity ? null : cap)
    const out: Value = { c: x.c, h: x.h, w: x.w, grad: x.grad, name: act.y }
    if (x.grad) this.steps.push({ out, inputs: [x], backward: (dy) => [act.backward(dy)] })
    return out
  }

  private add(r: LayerReader, inputs: Value[]): Value {
    if (inputs.length < 2) throw r.refuse(`adds ${inputs.length} input`)
    const [first] = inputs as [Value]
    if (inputs.some((v) => v.c !== first.c || v.h !== first.h || v.w !== first.w)) throw r.refuse('adds inputs of different shapes (broadcasting does not train on ONNX Runtime)')
    let y = first.name
    for (const v of inputs.slice(1)) y = this.g.node('Add', [y, v.name], {}, r.layer.name)
    const out: Value = { c: first.c, h: first.h, w: first.w, name: y, grad: inputs.some((v) => v.grad) }
    if (out.grad) this.steps.push({ out, inputs, backward: (dy) => inputs.map(() => dy) })
    return out
  }
}


/** The segment's forward and backward alone, as a model: `x` (NCHW) and `dy` (d(loss)/d(output))
 * and every parameter (SegmentParam.name) in; `y`, `grad/<param>` and, in training mode,
 * `mean/<layer>` and `variance/<layer>` out. What the tests check against TF.js and the bench
 * times (the training step's own graph adds pooling, the head and the loss around addSegment). */
export function segmentGradientModel(segment: tf.LayersModel, opts: { training: boolean; batch?: number; nchwcBlock?: number | null }): { model: Uint8Array; graph: SegmentGraph; inputShape: [number, number, number, number] } | string {
  const g = new GraphBuilder()
  const x = g.reserve('x')
  const dy = g.reserve('dy')
  const graph = addSegment(g, segment, x, opts)
  if (typeof graph === 'string') return graph
  const grads = graph.backward(dy)
  const outputs: ValueInfo[] = [valueInfo(g.node('Identity', [graph.output], {}, 'out', g.reserve('y')), graph.outputShape)]
  for (const p of graph.params) outputs.push(valueInfo(g.node('Identity', [grads.get(p.name)!], {}, 'out', g.reserve(`grad/${p.name}`)), p.shape))
  for (const s of graph.batchStats) {
    const c = graph.params.find((p) => p.layer === s.layer)?.shape ?? [-1]
    outputs.push(valueInfo(g.node('Identity', [s.mean], {}, 'out', g.reserve(`mean/${s.layer.name}`)), c))
    outputs.push(valueInfo(g.node('Identity', [s.variance], {}, 'out', g.reserve(`variance/${s.layer.name}`)), c))
  }
  const [, h, w, c] = segment.inputs[0]!.shape as [null, number, number, number]
  const inputShape: [number, number, number, number] = [-1, c, h, w]
  const model = encodeGraph(g, 'segment_gradients', [valueInfo(x, inputShape), valueInfo(dy, graph.outputShape), ...graph.params.map((p) => valueInfo(p.name, p.shape))], outputs)
  return { model, graph, inputShape }
}
