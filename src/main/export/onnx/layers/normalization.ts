// BatchNormalization at inference: the moving statistics are constants.
import { type LayerConverter, bool, num, one, unsupported, weight } from '../context'
import { attr, type Layout, physicalAxis } from '../graph'

const batchNormalization: LayerConverter = (ctx, inputs) => {
  const x = one(ctx, inputs)
  const { g, scope, prefix } = ctx
  const rank = x.shape.length
  const rawAxis = ctx.config['axis'] ?? -1
  if (typeof rawAxis !== 'number') throw unsupported(ctx, `normalizing over several axes (${JSON.stringify(rawAxis)}) is not supported`)
  const axis = rawAxis < 0 ? rawAxis + rank : rawAxis
  // tfjs's batchNorm kernels index the statistics as if they ran along the last axis, so a
  // BatchNormalization over any other axis does not compute what Keras defines (measured: 0.04 off).
  if (axis !== rank - 1) {
    throw unsupported(ctx, `normalizing over axis ${rawAxis} is not supported: tfjs computes it as if over the last axis, only the last axis is exported`)
  }
  const epsilon = num(ctx, 'epsilon', 1e-3)

  // tfjs's weight order: gamma (if scale), beta (if center), moving mean, moving variance.
  let i = 0
  const gamma = bool(ctx, 'scale', true) ? weight(ctx, i++, 'gamma') : null
  const beta = bool(ctx, 'center', true) ? weight(ctx, i++, 'beta') : null
  const mean = weight(ctx, i++, 'moving mean')
  const variance = weight(ctx, i++, 'moving variance')
  const channels = mean.data.length

  // Images go to NCHW, where the channel axis is 1, the axis ONNX's BatchNormalization
  // normalizes (and which onnxruntime folds into a preceding Conv).
  const layout: Layout = rank === 4 ? 'nchw' : 'keras'
  const xin = g.inLayout(x, layout)
  const p = physicalAxis(axis, rank, layout)

  if (p === 1) {
    const ones = new Float32Array(channels).fill(1)
    const zeros = new Float32Array(channels)
    const y = g.node(
      'BatchNormalization',
      [
        xin,
        g.floatTensor(`${prefix}/gamma`, [channels], gamma?.data ?? ones),
        g.floatTensor(`${prefix}/beta`, [channels], beta?.data ?? zeros),
        g.floatTensor(`${prefix}/moving_mean`, [channels], mean.data),
        g.floatTensor(`${prefix}/moving_variance`, [channels], variance.data)
      ],
      { epsilon: attr.float(epsilon) },
      scope
    )
    return { name: y, layout }
  }

  // Elsewhere (the last axis of a rank-3 tensor, say) fold it into x * s + t, with s and t
  // shaped [C, 1, ..., 1] so that they broadcast along physical axis p.
  const s = new Float32Array(channels)
  const t = new Float32Array(channels)
  for (let c = 0; c < channels; c++) {
    const inv = 1 / Math.sqrt((variance.data[c] as number) + epsilon)
    s[c] = (gamma ? (gamma.data[c] as number) : 1) * inv
    t[c] = (beta ? (beta.data[c] as number) : 0) - (mean.data[c] as number) * (s[c] as number)
  }
  const dims = [channels, ...new Array<number>(rank - 1 - p).fill(1)]
  const scaled = g.node('Mul', [xin, g.floatTensor(`${prefix}/folded_scale`, dims, s)], {}, scope)
  return { name: g.node('Add', [scaled, g.floatTensor(`${prefix}/folded_shift`, dims, t)], {}, scope), layout }
}

export const normalizationLayers: Record<string, LayerConverter> = {
  BatchNormalization: batchNormalization
}
