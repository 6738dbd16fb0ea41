// Activation functions (named, as in Dense/Conv `activation` and the Activation layer) and the
// advanced-activation layers. Each matches tfjs's own definition, which is what we test against.
import { type LayerContext, type LayerConverter, num, one, optionalNum, unsupported } from '../context'
import { attr, physicalAxis, type Layout } from '../graph'

/** The activation names tfjs serializes (getConfig) and the Keras spellings a model.json may hold. */
const ALIASES: Record<string, string> = { hard_sigmoid: 'hardSigmoid', log_softmax: 'logSoftmax' }

export const ACTIVATIONS = [
  'linear',
  'relu',
  'relu6',
  'sigmoid',
  'hardSigmoid',
  'tanh',
  'softmax',
  'logSoftmax',
  'elu',
  'selu',
  'softplus',
  'softsign',
  'swish',
  'mish',
  'gelu'
] as const

/**
 * Applies the named activation to the tensor `x` (rank `rank`, layout `layout`) and returns the
 * output name. Softmax-like activations work on the last Keras axis, wherever that sits physically.
 */
export function applyActivation(ctx: LayerContext, x: string, rank: number, layout: Layout, name: string): string {
  const { g, scope } = ctx
  const act = ALIASES[name] ?? name
  const lastAxis = (): number => physicalAxis(-1, rank, layout)
  switch (act) {
    case 'linear':
      return x
    case 'relu':
      return g.node('Relu', [x], {}, scope)
    case 'relu6':
      return g.node('Clip', [x, g.floatScalar(0), g.floatScalar(6)], {}, scope)
    case 'sigmoid':
      return g.node('Sigmoid', [x], {}, scope)
    case 'hardSigmoid':
      // tfjs: clip(0.2 * x + 0.5, 0, 1), which is ONNX HardSigmoid with these alpha/beta.
      return g.node('HardSigmoid', [x], { alpha: attr.float(0.2), beta: attr.float(0.5) }, scope)
    case 'tanh':
      return g.node('Tanh', [x], {}, scope)
    case 'softmax':
      return g.node('Softmax', [x], { axis: attr.int(lastAxis()) }, scope)
    case 'logSoftmax':
      return g.node('LogSoftmax', [x], { axis: attr.int(lastAxis()) }, scope)
    case 'elu':
      return g.node('Elu', [x], { alpha: attr.float(1) }, scope)
    case 'selu':
      // ONNX's default alpha/gamma are the same constants tfjs's selu uses.
      return g.node('Selu', [x], {}, scope)
    case 'softplus':
      return g.node('Softplus', [x], {}, scope)
    case 'softsign':
      return g.node('Softsign', [x], {}, scope)
    case 'swish':
      return g.node('Mul', [x, g.node('Sigmoid', [x], {}, scope)], {}, scope)
    case 'mish': {
      const t = g.node('Tanh', [g.node('Softplus', [x], {}, scope)], {}, scope)
      return g.node('Mul', [x, t], {}, scope)
    }
    case 'gelu': {
      // tfjs's exact GELU: x * 0.5 * (1 + erf(x / sqrt(2))).
      const erf = g.node('Erf', [g.node('Div', [x, g.floatScalar(Math.SQRT2)], {}, scope)], {}, scope)
      const cdf = g.node('Mul', [g.floatScalar(0.5), g.node('Add', [g.floatScalar(1), erf], {}, scope)], {}, scope)
      return g.node('Mul', [x, cdf], {}, scope)
    }
    default:
      throw unsupported(ctx, `activation "${name}" is not supported (supported: ${ACTIVATIONS.join(', ')})`)
  }
}

/** Applies the layer's own `activation` setting (Dense, Conv2D...), absent meaning linear. */
export function activate(ctx: LayerContext, x: string, rank: number, layout: Layout): string {
  const name = ctx.config['activation'] ?? 'linear'
  if (typeof name !== 'string') throw unsupported(ctx, 'its activation is not a named function')
  return applyActivation(ctx, x, rank, layout, name)
}

export const activationLayers: Record<string, LayerConverter> = {
  Activation: (ctx, inputs) => {
    const x = one(ctx, inputs)
    const name = ctx.config['activation']
    if (typeof name !== 'string') throw unsupported(ctx, 'its activation is not a named function')
    return { name: applyActivation(ctx, x.name, x.shape.length, x.layout, name), layout: x.layout }
  },

  ReLU: (ctx, inputs) => {
    const x = one(ctx, inputs)
    const max = optionalNum(ctx, 'maxValue')
    const name =
      max == null
        ? ctx.g.node('Relu', [x.name], {}, ctx.scope)
        : // Clip takes its bounds as inputs from opset 11 on (attributes before).
          ctx.g.node('Clip', [x.name, ctx.g.floatScalar(0), ctx.g.floatScalar(max)], {}, ctx.scope)
    return { name, layout: x.layout }
  },

  LeakyReLU: (ctx, inputs) => {
    const x = one(ctx, inputs)
    const alpha = num(ctx, 'alpha', 0.3)
    return { name: ctx.g.node('LeakyRelu', [x.name], { alpha: attr.float(alpha) }, ctx.scope), layout: x.layout }
  },

  ELU: (ctx, inputs) => {
    // tfjs's ELU layer refuses any alpha but 1 and always computes elu(x) with alpha 1.
    const x = one(ctx, inputs)
    return { name: ctx.g.node('Elu', [x.name], { alpha: attr.float(1) }, ctx.scope), layout: x.layout }
  },

  ThresholdedReLU: (ctx, inputs) => {
    // tfjs: x * (x > theta), which is ONNX ThresholdedRelu with alpha = theta.
    const x = one(ctx, inputs)
    const theta = num(ctx, 'theta', 1)
    return { name: ctx.g.node('ThresholdedRelu', [x.name], { alpha: attr.float(theta) }, ctx.scope), layout: x.layout }
  },

  Softmax: (ctx, inputs) => {
    // tfjs's Softmax layer defaults to axis 1 (not -1) and also accepts a one-element list.
    const x = one(ctx, inputs)
    let axis = ctx.config['axis'] ?? 1
    if (Array.isArray(axis) && axis.length === 1) axis = axis[0]
    if (typeof axis !== 'number') throw unsupported(ctx, `softmax over several axes (${JSON.stringify(axis)}) is not supported`)
    const p = physicalAxis(axis, x.shape.length, x.layout)
    return { name: ctx.g.node('Softmax', [x.name], { axis: attr.int(p) }, ctx.scope), layout: x.layout }
  }
}
