// Dense, shape layers, inference-time identities and Rescaling.
import { type LayerConverter, bool, num, numList, one, requireRank, unsupported, weight } from '../context'
import { attr } from '../graph'
import { activate } from './activations'

const dense: LayerConverter = (ctx, inputs) => {
  const x = one(ctx, inputs)
  const { g, scope } = ctx
  const k = weight(ctx, 0, 'kernel') // [in, units]: already the B of x @ B
  const W = g.floatTensor(`${ctx.prefix}/kernel`, k.shape, k.data)
  const b = bool(ctx, 'useBias', true) ? weight(ctx, 1, 'bias') : null
  const B = b ? g.floatTensor(`${ctx.prefix}/bias`, b.shape, b.data) : null
  const rank = x.shape.length
  // Dense works on the last Keras axis, so the input must be in Keras order.
  const xin = g.inLayout(x, 'keras')
  let y: string
  if (rank === 2) {
    y = g.node('Gemm', [xin, W, ...(B ? [B] : [])], {}, scope)
  } else {
    y = g.node('MatMul', [xin, W], {}, scope)
    if (B) y = g.node('Add', [y, B], {}, scope)
  }
  return { name: activate(ctx, y, rank, 'keras'), layout: 'keras' }
}

const flatten: LayerConverter = (ctx, inputs) => {
  const x = one(ctx, inputs)
  const { g, scope } = ctx
  const rank = x.shape.length
  if (rank <= 2) return { name: g.inLayout(x, 'keras'), layout: 'keras' }
  // Keras flattens in its own (NHWC) order; a tensor we hold as NCHW must be transposed back
  // first or the features come out in another order and the next Dense reads the wrong ones.
  let src = g.inLayout(x, 'keras')
  const format = ctx.config['dataFormat']
  if (format === 'channelsFirst' || format === 'channels_first') {
    // tfjs then reads the input as channels-first and moves axis 1 last before flattening.
    const perm = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1]
    src = g.node('Transpose', [src], { perm: attr.ints(perm) }, scope)
  }
  return { name: g.node('Flatten', [src], { axis: attr.int(1) }, scope), layout: 'keras' }
}

const reshape: LayerConverter = (ctx, inputs) => {
  const x = one(ctx, inputs)
  // tfjs stores Keras's -1 ("infer this dim") as null.
  const raw = ctx.config['targetShape']
  if (!Array.isArray(raw) || !raw.every((d) => d === null || typeof d === 'number')) {
    throw unsupported(ctx, `its target shape ${JSON.stringify(raw)} is not a list of sizes`)
  }
  const target = (raw as (number | null)[]).map((d) => d ?? -1)
  // ONNX Reshape reads 0 as "copy this input dim", which Keras never means.
  if (target.some((d) => d === 0 || (d < 0 && d !== -1))) throw unsupported(ctx, `target shape [${target.join(', ')}] is not supported`)
  // The leading 0 copies the batch dimension, whatever it is at run time.
  const shape = ctx.g.int64Vector([0, ...target])
  return { name: ctx.g.node('Reshape', [ctx.g.inLayout(x, 'keras'), shape], {}, ctx.scope), layout: 'keras' }
}

const permuteLayer: LayerConverter = (ctx, inputs) => {
  const x = one(ctx, inputs)
  const dims = numList(ctx, 'dims') // 1-based, batch excluded
  const perm = [0, ...dims]
  return { name: ctx.g.node('Transpose', [ctx.g.inLayout(x, 'keras')], { perm: attr.ints(perm) }, ctx.scope), layout: 'keras' }
}

/** Layers that only act while training: at inference the output is the input. */
const identity: LayerConverter = (ctx, inputs) => {
  const x = one(ctx, inputs)
  return { name: x.name, layout: x.layout }
}

const rescaling: LayerConverter = (ctx, inputs) => {
  const x = one(ctx, inputs)
  const { g, scope } = ctx
  // tfjs: x * scale + offset, in that order (rounding matches).
  const scale = num(ctx, 'scale')
  const offset = num(ctx, 'offset', 0)
  let y = x.name
  if (scale !== 1) y = g.node('Mul', [y, g.floatScalar(scale)], {}, scope)
  if (offset !== 0) y = g.node('Add', [y, g.floatScalar(offset)], {}, scope)
  if (y === x.name) y = g.node('Identity', [y], {}, scope)
  return { name: y, layout: x.layout }
}

const repeatVector: LayerConverter = (ctx, inputs) => {
  const x = one(ctx, inputs)
  requireRank(ctx, x, 2)
  const n = num(ctx, 'n')
  // [N, F] -> [N, 1, F] -> tile n times along axis 1.
  const expanded = ctx.g.node('Unsqueeze', [x.name, ctx.g.int64Vector([1])], {}, ctx.scope)
  return { name: ctx.g.node('Tile', [expanded, ctx.g.int64Vector([1, n, 1])], {}, ctx.scope), layout: 'keras' }
}

export const coreLayers: Record<string, LayerConverter> = {
  Dense: dense,
  Flatten: flatten,
  Reshape: reshape,
  Permute: permuteLayer,
  RepeatVector: repeatVector,
  Rescaling: rescaling,
  Dropout: identity,
  SpatialDropout1D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity
}
