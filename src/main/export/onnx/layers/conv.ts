// Convolutions, pooling and spatial padding. ONNX Conv/Pool work on NCHW, so these ask for their
// input in NCHW and leave their output there; the next layer that needs NHWC transposes it back.
import {
  type LayerContext,
  type LayerConverter,
  type Out,
  type Weight,
  bool,
  one,
  pair,
  requireChannelsLast,
  requireRank,
  str,
  unsupported,
  weight
} from '../context'
import { type Attr, attr, permute, type Value } from '../graph'
import { onnxPads, type PaddingMode, type Window2D } from '../padding'
import { activate } from './activations'

function paddingMode(ctx: LayerContext): PaddingMode {
  const mode = str(ctx, 'padding', 'valid')
  if (mode !== 'same' && mode !== 'valid') throw unsupported(ctx, `padding "${mode}" is not supported (only same, valid)`)
  return mode
}

function convWindow(ctx: LayerContext): Window2D {
  return {
    kernel: pair(ctx, 'kernelSize'),
    strides: pair(ctx, 'strides', [1, 1]),
    dilations: pair(ctx, 'dilationRate', [1, 1]),
    mode: paddingMode(ctx)
  }
}

/** kernel_shape/strides/pads for a window over x; TF 'same' padding becomes explicit pads. */
function windowAttrs(x: Value, w: Window2D): Record<string, Attr> {
  const pads = onnxPads(x.shape, w)
  return {
    kernel_shape: attr.ints(w.kernel),
    strides: attr.ints(w.strides),
    // SAME_UPPER puts the odd pixel after, as TF does; used only when H or W is unknown.
    ...(pads ? { pads: attr.ints(pads) } : { auto_pad: attr.string('SAME_UPPER') })
  }
}

/** Keras conv kernel [kh, kw, in, out] -> ONNX Conv weight [out, in, kh, kw]. */
function convWeight(w: Weight): { data: Float32Array; shape: number[] } {
  return permute(w.data, w.shape, [3, 2, 0, 1])
}

/**
 * Keras depthwise kernel [kh, kw, in, mult] -> ONNX grouped Conv weight [in * mult, 1, kh, kw].
 * TF orders depthwise outputs as channel * mult + m, which is exactly ONNX's group-major order.
 */
function depthwiseWeight(w: Weight): { data: Float32Array; shape: number[] } {
  const [kh, kw, cin, mult] = w.shape as [number, number, number, number]
  return { data: permute(w.data, w.shape, [2, 3, 0, 1]).data, shape: [cin * mult, 1, kh, kw] }
}

function biasName(ctx: LayerContext, index: number): string | null {
  if (!bool(ctx, 'useBias', true)) return null
  const b = weight(ctx, index, 'bias')
  return ctx.g.floatTensor(`${ctx.prefix}/bias`, b.shape, b.data)
}

/** The conv's fused activation, applied in NCHW. */
function finish(ctx: LayerContext, y: string): Out {
  return { name: activate(ctx, y, 4, 'nchw'), layout: 'nchw' }
}

function checkDilatedStride(ctx: LayerContext, w: Window2D): void {
  // tfjs itself refuses this combination; say so rather than export something never tested.
  if (w.dilations.some((d) => d !== 1) && w.strides.some((s) => s !== 1)) {
    throw unsupported(ctx, 'dilation together with strides > 1 is not supported')
  }
}

const conv2d: LayerConverter = (ctx, inputs) => {
  const x = one(ctx, inputs)
  requireChannelsLast(ctx)
  requireRank(ctx, x, 4)
  const groups = ctx.config['groups']
  if (groups != null && groups !== 1) throw unsupported(ctx, `grouped convolution (groups = ${String(groups)}) is not supported`)
  const w = convWindow(ctx)
  checkDilatedStride(ctx, w)
  const k = convWeight(weight(ctx, 0, 'kernel'))
  const W = ctx.g.floatTensor(`${ctx.prefix}/kernel`, k.shape, k.data)
  const B = biasName(ctx, 1)
  const y = ctx.g.node(
    'Conv',
    [ctx.g.inLayout(x, 'nchw'), W, ...(B ? [B] : [])],
    { ...windowAttrs(x, w), dilations: attr.ints(w.dilations), group: attr.int(1) },
    ctx.scope
  )
  return finish(ctx, y)
}

const depthwiseConv2d: LayerConverter = (ctx, inputs) => {
  const x = one(ctx, inputs)
  requireChannelsLast(ctx)
  requireRank(ctx, x, 4)
  const w = convWindow(ctx)
  // tfjs's DepthwiseConv2D layer never passes dilationRate on (a TODO in tfjs-layers): it runs
  // undilated whatever the config says. Neither translation would match both the config and tfjs.
  if (w.dilations.some((d) => d !== 1)) {
    throw unsupported(ctx, 'dilation_rate > 1 is not supported: tfjs ignores it for DepthwiseConv2D, so the model does not compute what its config says')
  }
  const kernel = weight(ctx, 0, 'depthwise kernel')
  const k = depthwiseWeight(kernel)
  const W = ctx.g.floatTensor(`${ctx.prefix}/depthwise_kernel`, k.shape, k.data)
  const B = biasName(ctx, 1)
  const y = ctx.g.node(
    'Conv',
    [ctx.g.inLayout(x, 'nchw'), W, ...(B ? [B] : [])],
    { ...windowAttrs(x, w), dilations: attr.ints(w.dilations), group: attr.int(kernel.shape[2] as number) },
    ctx.scope
  )
  return finish(ctx, y)
}

/** tfjs separableConv2d: a depthwise conv (with the layer's window) then a 1x1 pointwise conv + bias. */
const separableConv2d: LayerConverter = (ctx, inputs) => {
  const x = one(ctx, inputs)
  requireChannelsLast(ctx)
  requireRank(ctx, x, 4)
  const w = convWindow(ctx)
  checkDilatedStride(ctx, w)
  const depthwise = weight(ctx, 0, 'depthwise kernel')
  const dk = depthwiseWeight(depthwise)
  const pk = convWeight(weight(ctx, 1, 'pointwise kernel'))
  const DW = ctx.g.floatTensor(`${ctx.prefix}/depthwise_kernel`, dk.shape, dk.data)
  const PW = ctx.g.floatTensor(`${ctx.prefix}/pointwise_kernel`, pk.shape, pk.data)
  const B = biasName(ctx, 2)
  const mid = ctx.g.node(
    'Conv',
    [ctx.g.inLayout(x, 'nchw'), DW],
    { ...windowAttrs(x, w), dilations: attr.ints(w.dilations), group: attr.int(depthwise.shape[2] as number) },
    ctx.scope
  )
  const y = ctx.g.node('Conv', [mid, PW, ...(B ? [B] : [])], { kernel_shape: attr.ints([1, 1]) }, ctx.scope)
  return finish(ctx, y)
}

function pooling(op: 'MaxPool' | 'AveragePool'): LayerConverter {
  return (ctx, inputs) => {
    const x = one(ctx, inputs)
    requireChannelsLast(ctx)
    requireRank(ctx, x, 4)
    const kernel = pair(ctx, 'poolSize', [2, 2])
    const w: Window2D = { kernel, strides: pair(ctx, 'strides', kernel), dilations: [1, 1], mode: paddingMode(ctx) }
    // TF averages over the pixels inside the image only, ONNX's count_include_pad = 0.
    const extra: Record<string, Attr> = op === 'AveragePool' ? { count_include_pad: attr.int(0) } : {}
    const y = ctx.g.node(op, [ctx.g.inLayout(x, 'nchw')], { ...windowAttrs(x, w), ...extra }, ctx.scope)
    return { name: y, layout: 'nchw' }
  }
}

function globalPooling(op: 'GlobalMaxPool' | 'GlobalAveragePool'): LayerConverter {
  return (ctx, inputs) => {
    const x = one(ctx, inputs)
    requireChannelsLast(ctx)
    requireRank(ctx, x, 4)
    // ONNX gives [N, C, 1, 1]: that is the NCHW form of Keras's keepdims output [N, 1, 1, C]...
    const pooled = ctx.g.node(op, [ctx.g.inLayout(x, 'nchw')], {}, ctx.scope)
    if (ctx.outputShapes[0]?.length === 4) return { name: pooled, layout: 'nchw' }
    // ...and flattened it is the usual [N, C].
    return { name: ctx.g.node('Flatten', [pooled], { axis: attr.int(1) }, ctx.scope), layout: 'keras' }
  }
}

const zeroPadding2d: LayerConverter = (ctx, inputs) => {
  const x = one(ctx, inputs)
  requireChannelsLast(ctx)
  requireRank(ctx, x, 4)
  const p = ctx.config['padding']
  const ok = Array.isArray(p) && p.length === 2 && p.every((a) => Array.isArray(a) && a.length === 2 && a.every((v) => typeof v === 'number'))
  if (!ok) throw unsupported(ctx, `its padding ${JSON.stringify(p)} is not [[top, bottom], [left, right]]`)
  const [[top, bottom], [left, right]] = p as [[number, number], [number, number]]
  // Pad's pads input (opset 11+) lists all begins then all ends, over N, C, H, W.
  const pads = ctx.g.int64Vector([0, 0, top, left, 0, 0, bottom, right])
  return { name: ctx.g.node('Pad', [ctx.g.inLayout(x, 'nchw'), pads], {}, ctx.scope), layout: 'nchw' }
}

export const convLayers: Record<string, LayerConverter> = {
  Conv2D: conv2d,
  DepthwiseConv2D: depthwiseConv2d,
  SeparableConv2D: separableConv2d,
  MaxPooling2D: pooling('MaxPool'),
  AveragePooling2D: pooling('AveragePool'),
  GlobalAveragePooling2D: globalPooling('GlobalAveragePool'),
  GlobalMaxPooling2D: globalPooling('GlobalMaxPool'),
  ZeroPadding2D: zeroPadding2d
}
