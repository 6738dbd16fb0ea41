// Runs in the engine worker. Backward passes of the layers of MobileNetV2's inverted-residual
// blocks as standard ONNX ops (opset 17, NCHW, as ONNX Runtime's Conv wants): the building blocks
// of a thawed-group training step on ONNX Runtime (issue 11 item 2), next to the head's
// (headStepGraph.ts). Each takes the forward's values and d(loss)/d(output), and returns the
// gradients; they are checked against TF.js autodiff (cpu backend) in their test. Not wired into
// training yet: thawing stages still run on TF.js.
import { attr, type GraphBuilder } from '../../../export/onnx/graph'

type Op = (type: string, inputs: string[], attrs?: Parameters<GraphBuilder['node']>[2]) => string

const ops = (g: GraphBuilder, scope: string): Op => (type, inputs, attrs = {}) => g.node(type, inputs, attrs, `${scope}/${type}`)

/** 1x1 convolution without bias, as a matrix product: x [n, cin, h, w], kernel [cout, cin].
 * Forward y [n, cout, h, w] = kernel . x per image; backward dx = kernel^T . dy per image and
 * dkernel = sum over images of dy . x^T. */
export function pointwise(g: GraphBuilder, scope: string, x: string, kernel: string, shape: { n: number; cin: number; cout: number; h: number; w: number }) {
  const op = ops(g, scope)
  const { n, cin, cout, h, w } = shape
  const x3 = op('Reshape', [x, g.int64Vector([n, cin, h * w])])
  const y = op('Reshape', [op('MatMul', [kernel, x3]), g.int64Vector([n, cout, h, w])])
  return {
    y,
    backward(dy: string): { dx: string; dkernel: string } {
      const dy3 = op('Reshape', [dy, g.int64Vector([n, cout, h * w])])
      const dx = op('Reshape', [op('MatMul', [op('Transpose', [kernel], { perm: attr.ints([1, 0]) }), dy3]), g.int64Vector([n, cin, h, w])])
      const perImage = op('MatMul', [dy3, op('Transpose', [x3], { perm: attr.ints([0, 2, 1]) })])
      const dkernel = op('ReduceSum', [perImage, g.int64Vector([0])], { keepdims: attr.int(0) })
      return { dx, dkernel }
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

/** Depthwise k x k convolution without bias: x [n, c, h, w], kernel [c, 1, k, k], one filter per
 * channel. Backward: dx is the transposed convolution of dy by the same kernel; dkernel is the
 * convolution of x by dy with the roles swapped: channels become groups and images the summed
 * axis (x as [1, c*n, h, w], dy as c filters of [n, ho, wo], the forward stride as dilation). */
export function depthwise(
  g: GraphBuilder,
  scope: string,
  x: string,
  kernel: string,
  shape: { n: number; c: number; h: number; w: number; k: number; stride: number; pads: Pads }
) {
  const op = ops(g, scope)
  const { n, c, h, w, k, stride, pads } = shape
  const [top, left, bottom, right] = pads
  const ho = Math.floor((h + top + bottom - k) / stride) + 1
  const wo = Math.floor((w + left + right - k) / stride) + 1
  const conv = { group: attr.int(c), kernel_shape: attr.ints([k, k]), strides: attr.ints([stride, stride]), pads: attr.ints([top, left, bottom, right]) }
  const y = op('Conv', [x, kernel], conv)
  return {
    y,
    outShape: [n, c, ho, wo] as const,
    backward(dy: string): { dx: string; dkernel: string } {
      // rows and columns of x that no output reads (stride > 1): ConvTranspose gives them zeros
      const extraH = h + top + bottom - ((ho - 1) * stride + k)
      const extraW = w + left + right - ((wo - 1) * stride + k)
      const dx = op('ConvTranspose', [dy, kernel], { ...conv, output_padding: attr.ints([extraH, extraW]) })
      const xs = op('Reshape', [op('Transpose', [x], { perm: attr.ints([1, 0, 2, 3]) }), g.int64Vector([1, c * n, h, w])])
      const filters = op('Transpose', [dy], { perm: attr.ints([1, 0, 2, 3]) })
      const full = op('Conv', [xs, filters], { group: attr.int(c), kernel_shape: attr.ints([ho, wo]), dilations: attr.ints([stride, stride]), pads: attr.ints([top, left, bottom, right]) })
      // the correlation covers every offset the padding allows; the kernel is its first k x k
      const window = op('Slice', [full, g.int64Vector([0, 0]), g.int64Vector([k, k]), g.int64Vector([2, 3])])
      const dkernel = op('Reshape', [window, g.int64Vector([c, 1, k, k])])
      return { dx, dkernel }
    }
  }
}

/** Batch norm in inference mode (a frozen group's, the Keras rule): y = gamma (x - mean) / sqrt(var +
 * eps) + beta with the running statistics, per channel of x [n, c, h, w]. The statistics are
 * inputs of shape [c]; so are gamma and beta, whose gradients trainBn needs. */
export function frozenBatchNorm(g: GraphBuilder, scope: string, x: string, p: { gamma: string; beta: string; mean: string; variance: string; epsilon: number; c: number }) {
  const op = ops(g, scope)
  const perChannel = (v: string): string => op('Reshape', [v, g.int64Vector([1, p.c, 1, 1])])
  const inv = op('Reciprocal', [op('Sqrt', [op('Add', [perChannel(p.variance), g.floatScalar(p.epsilon)])])])
  const xhat = op('Mul', [op('Sub', [x, perChannel(p.mean)]), inv])
  const y = op('Add', [op('Mul', [xhat, perChannel(p.gamma)]), perChannel(p.beta)])
  const sumPerChannel = (v: string): string => op('ReduceSum', [v, g.int64Vector([0, 2, 3])], { keepdims: attr.int(0) })
  return {
    y,
    backward(dy: string): { dx: string; dgamma: string; dbeta: string } {
      return { dx: op('Mul', [dy, op('Mul', [perChannel(p.gamma), inv])]), dgamma: sumPerChannel(op('Mul', [dy, xhat])), dbeta: sumPerChannel(dy) }
    }
  }
}

/** ReLU6, min(max(x, 0), 6); its gradient passes where 0 < x <= 6, as TF.js's Relu6 gradient. */
export function relu6(g: GraphBuilder, scope: string, x: string) {
  const op = ops(g, scope)
  const y = op('Clip', [x, g.floatScalar(0), g.floatScalar(6)])
  return {
    y,
    backward(dy: string): string {
      const pass = op('And', [op('Greater', [x, g.floatScalar(0)]), op('LessOrEqual', [x, g.floatScalar(6)])])
      return op('Mul', [dy, op('Cast', [pass], { to: attr.int(1) })])
    }
  }
}
