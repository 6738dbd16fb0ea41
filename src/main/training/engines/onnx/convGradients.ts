// Runs in the engine worker. Forward and backward passes of the layers of the built-in backbones
// (MobileNetV2's inverted-residual blocks, MobileNetV1's conv + batch norm + ReLU6) as standard
// ONNX ops (opset 17, NCHW, as ONNX Runtime's Conv wants), with a dynamic batch axis: the building
// blocks of a thawed segment's training graph (segmentGraph.ts walks a segment and wires these
// together), next to the head's (headStepGraph.ts). Each takes the forward's values and
// d(loss)/d(output), and returns the gradients; they are checked against TF.js autodiff (cpu
// backend) in their tests and in segmentGraph's.
import { attr, type GraphBuilder } from '../../../export/onnx/graph'

type Op = (type: string, inputs: string[], attrs?: Parameters<GraphBuilder['node']>[2]) => string

export const ops = (g: GraphBuilder, scope: string): Op => (type, inputs, attrs = {}) => g.node(type, inputs, attrs, `${scope}/${type}`)

/** A convolution's gradients, each added to the graph only when asked for (a segment's first layer
 * needs no dx; a frozen layer's kernel no dkernel). */
export interface ConvGradients {
  dx(): string
  dkernel(): string
  dbias(): string
}

/** A batch norm's gradients, added when asked for. */
export interface NormGradients {
  dx(): string
  dgamma(): string
  dbeta(): string
}

/** Sum over batch and space of an NCHW value: the gradient of a per-channel bias or offset. */
export function sumPerChannel(g: GraphBuilder, scope: string, v: string): string {
  return g.node('ReduceSum', [v, g.int64Vector([0, 2, 3])], { keepdims: attr.int(0) }, `${scope}/ReduceSum`)
}

/** A [c] value as [1, c, 1, 1], to broadcast over NCHW. */
const perChannel = (g: GraphBuilder, scope: string, v: string, c: number): string => g.node('Reshape', [v, g.int64Vector([1, c, 1, 1])], {}, `${scope}/Reshape`)

/** 1x1 convolution at stride 1, as a matrix product: x [n, cin, h, w], kernel [cout, cin], bias
 * [cout] or null. Forward y [n, cout, h, w] = kernel . x per image; backward dx = kernel^T . dy per
 * image and dkernel = sum over images of dy . x^T. */
export function pointwise(g: GraphBuilder, scope: string, x: string, kernel: string, bias: string | null, shape: { cin: number; cout: number; h: number; w: number }) {
  const op = ops(g, scope)
  const { cin, cout, h, w } = shape
  const x3 = op('Reshape', [x, g.int64Vector([0, cin, h * w])])
  const product = op('MatMul', [kernel, x3])
  const biased = bias ? op('Add', [product, op('Reshape', [bias, g.int64Vector([cout, 1])])]) : product
  const y = op('Reshape', [biased, g.int64Vector([0, cout, h, w])])
  return {
    y,
    backward(dy: string): ConvGradients {
      const dy3 = op('Reshape', [dy, g.int64Vector([0, cout, h * w])])
      return {
        dx: () => op('Reshape', [op('MatMul', [op('Transpose', [kernel], { perm: attr.ints([1, 0]) }), dy3]), g.int64Vector([0, cin, h, w])]),
        dkernel: () => op('ReduceSum', [op('MatMul', [dy3, op('Transpose', [x3], { perm: attr.ints([0, 2, 1]) })]), g.int64Vector([0])], { keepdims: attr.int(0) }),
        dbias: () => op('ReduceSum', [dy3, g.int64Vector([0, 2])], { keepdims: attr.int(0) })
      }
    }
  }
}

/** Pads of a convolution, ONNX order [top, left, bottom, right]. */
export type Pads = [number, number, number, number]

/** TF's 'same' padding for one spatial size: what it adds before and after. */
export function samePads(size: number, kernel: number, stride: number): [number, number] {
  const out = Math.ceil(size / stride)
  const total = Math.max((out - 1) * stride + kernel - size, 0)
  return [Math.floor(total / 2), total - Math.floor(total / 2)]
}

/** A convolution's window: kernel and strides as [rows, columns], explicit pads. */
export interface Window {
  h: number
  w: number
  kh: number
  kw: number
  sh: number
  sw: number
  pads: Pads
}

/** Output size of a window, and the rows/columns at the end of the padded input that no output
 * reads (stride > 1): a transposed convolution has to be told to give them zeros. */
export function windowOut(win: Window): { ho: number; wo: number; extraH: number; extraW: number } {
  const [top, left, bottom, right] = win.pads
  const ho = Math.floor((win.h + top + bottom - win.kh) / win.sh) + 1
  const wo = Math.floor((win.w + left + right - win.kw) / win.sw) + 1
  return { ho, wo, extraH: win.h + top + bottom - ((ho - 1) * win.sh + win.kh), extraW: win.w + left + right - ((wo - 1) * win.sw + win.kw) }
}

/** The kernel gradient of a convolution of x [n, cin, h, w] giving dy [n, cout, ho, wo], as
 * another convolution with the roles swapped: x's channels become its batch (or, grouped, its
 * groups), the images the summed axis, dy the filters, and the forward stride its dilation. It
 * covers every offset the padding allows; the kernel is its first kh x kw. Returns
 * [cin, cout, kh, kw] (group 1) or [1, c, kh, kw] (depthwise). */
function kernelGradient(g: GraphBuilder, op: Op, x: string, dy: string, win: Window, ho: number, wo: number, depthwiseChannels: number | null): string {
  const perm = { perm: attr.ints([1, 0, 2, 3]) }
  const data = depthwiseChannels === null ? op('Transpose', [x], perm) : op('Reshape', [op('Transpose', [x], perm), g.int64Vector([1, -1, win.h, win.w])])
  const full = op('Conv', [data, op('Transpose', [dy], perm)], {
    group: attr.int(depthwiseChannels ?? 1),
    kernel_shape: attr.ints([ho, wo]),
    dilations: attr.ints([win.sh, win.sw]),
    pads: attr.ints(win.pads)
  })
  return op('Slice', [full, g.int64Vector([0, 0]), g.int64Vector([win.kh, win.kw]), g.int64Vector([2, 3])])
}

/** A k x k convolution (group 1): x [n, cin, h, w], kernel [cout, cin, kh, kw], bias [cout] or
 * null. Backward: dx is the transposed convolution of dy by the same kernel; dkernel as
 * kernelGradient says. */
export function conv2d(g: GraphBuilder, scope: string, x: string, kernel: string, bias: string | null, shape: Window & { cin: number; cout: number }) {
  const op = ops(g, scope)
  const { ho, wo, extraH, extraW } = windowOut(shape)
  const conv = { kernel_shape: attr.ints([shape.kh, shape.kw]), strides: attr.ints([shape.sh, shape.sw]), pads: attr.ints(shape.pads) }
  const y = op('Conv', [x, kernel, ...(bias ? [bias] : [])], conv)
  return {
    y,
    outShape: { c: shape.cout, h: ho, w: wo },
    backward(dy: string): ConvGradients {
      return {
        dx: () => op('ConvTranspose', [dy, kernel], { ...conv, output_padding: attr.ints([extraH, extraW]) }),
        dkernel: () => op('Transpose', [kernelGradient(g, op, x, dy, shape, ho, wo, null)], { perm: attr.ints([1, 0, 2, 3]) }),
        dbias: () => sumPerChannel(g, scope, dy)
      }
    }
  }
}

/** Depthwise k x k convolution: x [n, c, h, w], kernel [c, 1, kh, kw], one filter per channel,
 * bias [c] or null. Backward: dx is the transposed convolution of dy by the same kernel; dkernel
 * is kernelGradient with channels as groups (x as [1, c*n, h, w], dy as c filters of [n, ho, wo]). */
export function depthwise(g: GraphBuilder, scope: string, x: string, kernel: string, bias: string | null, shape: Window & { c: number }) {
  const op = ops(g, scope)
  const { c, kh, kw } = shape
  const { ho, wo, extraH, extraW } = windowOut(shape)
  const conv = { group: attr.int(c), kernel_shape: attr.ints([kh, kw]), strides: attr.ints([shape.sh, shape.sw]), pads: attr.ints(shape.pads) }
  const y = op('Conv', [x, kernel, ...(bias ? [bias] : [])], conv)
  return {
    y,
    outShape: { c, h: ho, w: wo },
    backward(dy: string): ConvGradients {
      return {
        dx: () => op('ConvTranspose', [dy, kernel], { ...conv, output_padding: attr.ints([extraH, extraW]) }),
        dkernel: () => op('Reshape', [kernelGradient(g, op, x, dy, shape, ho, wo, c), g.int64Vector([c, 1, kh, kw])]),
        dbias: () => sumPerChannel(g, scope, dy)
      }
    }
  }
}

/** Batch norm in inference mode (a frozen group's, the Keras rule): y = gamma (x - mean) / sqrt(var +
 * eps) + beta with the running statistics, per channel of x [n, c, h, w]. The statistics are
 * values of shape [c]; so are gamma and beta (null: scale 1, offset 0), whose gradients trainBn
 * needs. */
export function frozenBatchNorm(g: GraphBuilder, scope: string, x: string, p: { gamma: string | null; beta: string | null; mean: string; variance: string; epsilon: number; c: number }) {
  const op = ops(g, scope)
  const at = (v: string): string => perChannel(g, scope, v, p.c)
  const inv = op('Reciprocal', [op('Sqrt', [op('Add', [at(p.variance), g.floatScalar(p.epsilon)])])])
  const xhat = op('Mul', [op('Sub', [x, at(p.mean)]), inv])
  const scaled = p.gamma ? op('Mul', [xhat, at(p.gamma)]) : xhat
  const y = p.beta ? op('Add', [scaled, at(p.beta)]) : scaled
  return {
    y,
    backward(dy: string): NormGradients {
      return {
        dx: () => op('Mul', [dy, p.gamma ? op('Mul', [at(p.gamma), inv]) : inv]),
        dgamma: () => sumPerChannel(g, scope, op('Mul', [dy, xhat])),
        dbeta: () => sumPerChannel(g, scope, dy)
      }
    }
  }
}

/** Batch norm in training mode, as tfjs-layers' normalizeBatchInTraining: the batch's mean and
 * biased variance over batch and space (tf.moments), and gradients through both. `mean` and
 * `variance` ([c]) are what the caller's running-average update reads. */
export function trainBatchNorm(g: GraphBuilder, scope: string, x: string, p: { gamma: string | null; beta: string | null; epsilon: number; c: number }) {
  const op = ops(g, scope)
  const at = (v: string): string => perChannel(g, scope, v, p.c)
  // opset 17's ReduceMean takes its axes as an attribute (ReduceSum as an input)
  const mean = (v: string): string => op('ReduceMean', [v], { axes: attr.ints([0, 2, 3]), keepdims: attr.int(1) })
  const mean4 = mean(x)
  const centred = op('Sub', [x, mean4])
  const var4 = mean(op('Mul', [centred, centred]))
  const inv = op('Reciprocal', [op('Sqrt', [op('Add', [var4, g.floatScalar(p.epsilon)])])])
  const xhat = op('Mul', [centred, inv])
  const scaled = p.gamma ? op('Mul', [xhat, at(p.gamma)]) : xhat
  const y = p.beta ? op('Add', [scaled, at(p.beta)]) : scaled
  const flat = (v: string): string => op('Reshape', [v, g.int64Vector([p.c])])
  return {
    y,
    mean: flat(mean4),
    variance: flat(var4),
    backward(dy: string): NormGradients {
      let dyXhat: string | undefined
      const product = (): string => (dyXhat ??= op('Mul', [dy, xhat]))
      return {
        // gamma / sigma * (dy - mean(dy) - xhat * mean(dy * xhat)), means over batch and space
        dx: () => {
          const inner = op('Sub', [op('Sub', [dy, mean(dy)]), op('Mul', [xhat, mean(product())])])
          return op('Mul', [inner, p.gamma ? op('Mul', [at(p.gamma), inv]) : inv])
        },
        dgamma: () => sumPerChannel(g, scope, product()),
        dbeta: () => sumPerChannel(g, scope, dy)
      }
    }
  }
}

/** ReLU, capped at `max` when it is given (ReLU6: max 6). The gradient passes where 0 < x <= max,
 * as TF.js's Relu6 gradient and the ReLU layer's relu-then-clipByValue both do. */
export function relu(g: GraphBuilder, scope: string, x: string, max: number | null) {
  const op = ops(g, scope)
  const y = max === null ? op('Relu', [x]) : op('Clip', [x, g.floatScalar(0), g.floatScalar(max)])
  return {
    y,
    backward(dy: string): string {
      const positive = op('Greater', [x, g.floatScalar(0)])
      const pass = max === null ? positive : op('And', [positive, op('LessOrEqual', [x, g.floatScalar(max)])])
      return op('Where', [pass, dy, g.floatScalar(0)])
    }
  }
}

/** ReLU6, min(max(x, 0), 6). */
export const relu6 = (g: GraphBuilder, scope: string, x: string) => relu(g, scope, x, 6)
