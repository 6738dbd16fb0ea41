// Merge layers. Inputs are brought to one layout first: NCHW when they are all rank-4 and one
// already is (typically the two branches of a residual block), Keras order otherwise.
import { type LayerContext, type LayerConverter, type Out, unsupported } from '../context'
import { attr, type Layout, physicalAxis, type Value } from '../graph'

function commonLayout(inputs: readonly Value[]): Layout {
  const allRank4 = inputs.every((v) => v.shape.length === 4)
  return allRank4 && inputs.some((v) => v.layout === 'nchw') ? 'nchw' : 'keras'
}

function aligned(ctx: LayerContext, inputs: readonly Value[]): { names: string[]; layout: Layout } {
  if (inputs.length < 2) throw unsupported(ctx, `it needs at least two inputs, got ${inputs.length}`)
  const layout = commonLayout(inputs)
  const maxRank = Math.max(...inputs.map((v) => v.shape.length))
  const names = inputs.map((v) => {
    const name = ctx.g.inLayout(v, layout)
    const missing = maxRank - v.shape.length
    if (missing === 0) return name
    // tfjs gives a lower-rank input new axes right after the batch ([N, C] -> [N, 1, 1, C]);
    // ONNX would otherwise broadcast from the right and line N up with W.
    const axes = Array.from({ length: missing }, (_, i) => i + 1)
    return ctx.g.node('Unsqueeze', [name, ctx.g.int64Vector(axes)], {}, ctx.scope)
  })
  return { names, layout }
}

/** Folds inputs left to right with a binary op, as tfjs does (same rounding order). */
function fold(op: string, post?: (ctx: LayerContext, y: string, n: number) => string): LayerConverter {
  return (ctx, inputs): Out => {
    const { names, layout } = aligned(ctx, inputs)
    let y = names[0] as string
    for (const next of names.slice(1)) y = ctx.g.node(op, [y, next], {}, ctx.scope)
    return { name: post ? post(ctx, y, names.length) : y, layout }
  }
}

const concatenate: LayerConverter = (ctx, inputs) => {
  const { names, layout } = aligned(ctx, inputs)
  const axis = ctx.config['axis'] ?? -1
  if (typeof axis !== 'number') throw unsupported(ctx, `its axis ${JSON.stringify(axis)} is not a number`)
  const rank = (inputs[0] as Value).shape.length
  return { name: ctx.g.node('Concat', names, { axis: attr.int(physicalAxis(axis, rank, layout)) }, ctx.scope), layout }
}

export const mergeLayers: Record<string, LayerConverter> = {
  Add: fold('Add'),
  Multiply: fold('Mul'),
  // tfjs: the running sum, then times 1/n.
  Average: fold('Add', (ctx, y, n) => ctx.g.node('Mul', [y, ctx.g.floatScalar(1 / n)], {}, ctx.scope)),
  Maximum: fold('Max'),
  Minimum: fold('Min'),
  Concatenate: concatenate
}
