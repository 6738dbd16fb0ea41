// Runs in the engine worker. Forward and backward passes of the layers of the built-in backbones
// (MobileNetV2's inverted-residual blocks, MobileNetV1's conv + batch norm + ReLU6) as standard
// ONNX ops (opset 17) with a dynamic batch axis: the building blocks of a thawed segment's
// training graph (segmentGraph.ts walks a segment and wires these together), next to the head's
// (headStepGraph.ts). Each takes the forward's values and d(loss)/d(output), and returns the
// gradients (each added to the graph only when asked for); they are checked against TF.js
// autodiff (cpu backend) in their tests and in segmentGraph's.
//
// Values are laid out CNHW ([channels, images, rows, columns]), not NCHW, because that is what
// makes the training step's bulk cheap on ONNX Runtime's CPU kernels. Measured at batch 16 on
// 7x7 maps of MobileNetV2's 160 <-> 960 1x1 convolutions, 2 threads (best of 20 runs, load
// average 7-9, scratch micro-benchmarks; see segmentGraph.ts for the whole step):
//   1x1 forward:  one Gemm over [cin, N*h*w] 2.4 ms, Conv 1x1 in NCHW 3.0, MatMul per image 8.3
//   1x1 dkernel:  one Gemm (transB) 2.8 ms, MatMul per image + ReduceSum over images 10.3
//   NCHW <-> CNHW Transpose of the 960-channel map: 0.45 ms
//   depthwise 3x3 dkernel: 9 shifted Mul + ReduceSum 12.3 ms, the swapped-axes grouped Conv 20.9
//     (1 thread, batch 8: 4.2 against 6.0 at 7x7x960, 60 against 87 at 56x56x144, 85 against 92
//     at 112x112x32; but at stride 2 the strided Slices lose, 164 against 50 at 112x112x96)
//   depthwise dx: ConvTranspose 6.5 ms, Conv by the flipped kernel 16.7
//   ReLU6 backward: Mul(dy, Cast(mask)) 1.2 ms, Where(mask, dy, 0) 3.1 (its broadcast is slow)
// In CNHW a 1x1 convolution is one matrix product over every image at once, and a kernel's
// gradient one product that sums over them; ONNX Runtime's Conv (k x k) wants NCHW, so those
// transpose around it (cheap: whole h x w planes move).
// Depthwise (issue 11, segkernels): ONNX Runtime's fast depthwise and NCHWc kernels serve only
// constant weights; a grouped Conv whose weights are graph inputs runs im2col + a tiny Gemm per
// (image, channel), so what counts is that count and the copies around it. Process CPU time per
// batch, 1 thread, median of 7 (scratch micro-benchmark, load average 3.5-6), now -> before:
//   forward as one Conv of c * n groups over CNHW read as [1, c * n, h, w] (needs a graph built
//     for one batch size): 14x14x576 n16 34 -> 37 ms, 7x7x960 n16 6.5-9.9 -> 8.3-10.9, 56x56x144
//     n8 13-16 -> 20, 112x112x32 n8 9.7-13 -> 14-15, stride 2 at 112x112x96 n8 15-22 -> 27-30
//   dx, stride 1: Conv of c * n groups by the flipped kernel: 14x14 10.5-16 -> 29-42 (NCHW
//     ConvTranspose between Transposes), 7x7 6.7-7.5 -> 14-19, 56x56 12.4-13.5 -> 36, 112x112
//     10.5-15 -> 29-30; stride 2: ConvTranspose of c * n groups 21-55 -> 62
//   dkernel: the grouped correlation beats the 9 tap Slices on 7x7 maps (10-11 -> 18-21.5) and
//     at stride 2 (30 -> 52-60), and loses on 14x14 and larger (34-35 / 68-76 / 46-68 against
//     32-34 / 54-65 / 31-51): the taps stay there
//   ONNX Runtime's NCHWc Conv (com.microsoft.nchwc, which reads its weights at run time), fed
//     by the CNHW <-> NCHW swap and ReorderInput/ReorderOutput: forward 7.6 ms at 14x14x576 n16
//     (grouped per image 8.9), 4.4 at 7x7x960 (9.3), 9.7 at 112x112x32 n8 (12.9), about even at
//     56x56 and at stride 2; the Conv alone is 0.6-3.4 of those, the layout changes the rest (a
//     5-D Transpose to the blocked layout instead of ReorderInput: 15-50 ms, slower than today)
//   dkernel as the NCHWc depthwise convolution of x by dy per (channel, image), then the sum over
//     images: 5.3 ms against 25 (taps) at 14x14x576 n16, 6.9 against 59 at 56x56x144 n8, 7.1
//     against 49-51 at 112x112x32 n8, at stride 2 10.3 against 42 (correlation) at 112x112x96 n8
//     and 2.0 against 6.4 at 14x14x576 n16
//   tried, slower: im2col by 9 Slices + Concat, then one batched MatMul per channel for forward,
//     dx and dkernel (17-18 ms at 7x7x960, 45-55 at 56x56x144; ONNX Runtime's Slice dominates);
//     the taps' Mul + ReduceSum as one batched MatMul per tap (58 against 24 at 14x14x576)
import type * as Ort from 'onnxruntime-node'
import { attr, GraphBuilder } from '../../../export/onnx/graph'
import { encodeGraph, valueInfo } from './onnxModel'

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

const SWAP = { perm: attr.ints([1, 0, 2, 3]) }

/** NCHW <-> CNHW (the same permutation both ways). */
export const swapBatchAndChannels = (g: GraphBuilder, scope: string, v: string): string => g.node('Transpose', [v], SWAP, `${scope}/Transpose`)

/** Sum over images and space of a CNHW value: the gradient of a per-channel bias or offset. */
export function sumPerChannel(g: GraphBuilder, scope: string, v: string): string {
  return g.node('ReduceSum', [v, g.int64Vector([1, 2, 3])], { keepdims: attr.int(0) }, `${scope}/ReduceSum`)
}

/** A [c] value as [c, 1, 1, 1], to broadcast over CNHW. */
const perChannel = (g: GraphBuilder, scope: string, v: string, c: number): string => g.node('Reshape', [v, g.int64Vector([c, 1, 1, 1])], {}, `${scope}/Reshape`)

/** 1x1 convolution at stride 1 as one matrix product over all images: x [cin, n, h, w], kernel
 * [cout, cin], bias [cout] or null. y = kernel . x (+ bias); dx = kernel^T . dy; dkernel = dy . x^T
 * (the sum over images and space is the product's inner dimension). */
export function pointwise(g: GraphBuilder, scope: string, x: string, kernel: string, bias: string | null, shape: { cin: number; cout: number; h: number; w: number }) {
  const op = ops(g, scope)
  const { cin, cout, h, w } = shape
  const x2 = op('Reshape', [x, g.int64Vector([cin, -1])])
  const product = op('Gemm', [kernel, x2, ...(bias ? [op('Reshape', [bias, g.int64Vector([cout, 1])])] : [])])
  const y = op('Reshape', [product, g.int64Vector([cout, -1, h, w])])
  return {
    y,
    backward(dy: string): ConvGradients {
      const dy2 = op('Reshape', [dy, g.int64Vector([cout, -1])])
      return {
        dx: () => op('Reshape', [op('Gemm', [kernel, dy2], { transA: attr.int(1) }), g.int64Vector([cin, -1, h, w])]),
        dkernel: () => op('Gemm', [dy2, x2], { transB: attr.int(1) }),
        dbias: () => op('ReduceSum', [dy2, g.int64Vector([1])], { keepdims: attr.int(0) })
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

/** A k x k convolution (group 1): x [cin, n, h, w] (CNHW; `xNchw` when the caller has it in NCHW
 * already, the segment's input), kernel [cout, cin, kh, kw], bias [cout] or null. Forward and dx
 * (the transposed convolution of dy by the same kernel) run in NCHW. dkernel is a convolution with
 * the roles swapped, which CNHW gives without copies: x's channels are its batch, the images its
 * summed channels, dy [cout, n, ho, wo] its filters, and the forward stride its dilation; it
 * covers every offset the padding allows, and the kernel is its first kh x kw. */
export function conv2d(g: GraphBuilder, scope: string, x: { cnhw: () => string; nchw: () => string }, kernel: string, bias: string | null, shape: Window & { cin: number; cout: number }) {
  const op = ops(g, scope)
  const { ho, wo, extraH, extraW } = windowOut(shape)
  const conv = { kernel_shape: attr.ints([shape.kh, shape.kw]), strides: attr.ints([shape.sh, shape.sw]), pads: attr.ints(shape.pads) }
  const y = swapBatchAndChannels(g, scope, op('Conv', [x.nchw(), kernel, ...(bias ? [bias] : [])], conv))
  return {
    y,
    outShape: { c: shape.cout, h: ho, w: wo },
    backward(dy: string): ConvGradients {
      return {
        dx: () => swapBatchAndChannels(g, scope, op('ConvTranspose', [swapBatchAndChannels(g, scope, dy), kernel], { ...conv, output_padding: attr.ints([extraH, extraW]) })),
        dkernel: () => {
          const full = op('Conv', [x.cnhw(), dy], { kernel_shape: attr.ints([ho, wo]), dilations: attr.ints([shape.sh, shape.sw]), pads: attr.ints(shape.pads) })
          const window = op('Slice', [full, g.int64Vector([0, 0]), g.int64Vector([shape.kh, shape.kw]), g.int64Vector([2, 3])])
          return op('Transpose', [window], SWAP)
        },
        dbias: () => sumPerChannel(g, scope, dy)
      }
    }
  }
}

/** ONNX Runtime's blocked-layout operators (its CPU provider's NCHWc kernels, x86-64 with AVX2
 * or AVX-512): channels in blocks of MlasNchwcGetBlockSize(). Its Conv reads the weights at run
 * time, so unlike the standard Conv it runs depthwise convolutions fast with weights that are
 * graph inputs (they only need reordering to its filter layout, in the graph). */
export const NCHWC_DOMAIN = 'com.microsoft.nchwc'

const nchwcNode = (g: GraphBuilder, scope: string, type: string, inputs: string[], attrs: Parameters<GraphBuilder['node']>[2] = {}): string =>
  g.node(type, inputs, attrs, `${scope}/nchwc_${type}`, undefined, NCHWC_DOMAIN)

/** A depthwise filter [channels, 1, kh, kw] in the NCHWc Conv's filter layout (OIHWBo: per block
 * of channels, the taps with the channels innermost), which is the blocked layout ReorderInput
 * gives the same values read as one image [1, channels, kh, kw]; channels is a multiple of the
 * block. A Transpose of [channels / block, block, taps] did it before, and on 2 intra-op threads
 * ONNX Runtime ran those 40-45 times slower than on one (5.5 ms against 0.12 for a [1920, 8, 9]
 * kernel; a quarter of the last four blocks' step at 2 threads). */
function nchwcFilter(g: GraphBuilder, scope: string, k: string, channels: number, kh: number, kw: number): string {
  return ops(g, scope)('Reshape', [blockedImages(g, scope, k, channels, kh, kw), g.int64Vector([channels, 1, kh, kw])])
}

/** The channel block of ONNX Runtime's NCHWc kernels on this machine, or null where it has none
 * (the graph then uses standard operators only): ReorderInput rounds 4 channels up to one block. */
export async function nchwcBlockSize(ort: typeof Ort): Promise<number | null> {
  const g = new GraphBuilder()
  const x = g.reserve('x')
  const y = nchwcNode(g, 'probe', 'ReorderInput', [x])
  const model = encodeGraph(g, 'nchwc_probe', [valueInfo(x, [1, 4, 1, 1])], [valueInfo(y, [1, 'N', 1, 1])])
  try {
    const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 4 })
    try {
      const out = await session.run({ [x]: new ort.Tensor('float32', new Float32Array(4), [1, 4, 1, 1]) })
      const block = out[y]!.dims[1]!
      return block >= 4 ? block : null
    } finally {
      await session.release()
    }
  } catch {
    return null
  }
}

/** A depthwise convolution of the CNHW x [c, n, h, w] by the [c, 1, kh, kw] kernel (bias [c] or
 * null) on the NCHWc kernels; c is a multiple of the block. With the batch n known (and c * n a
 * multiple of the block), CNHW read as [1, c * n, h, w] goes in as it lies, by the kernel tiled
 * over the images; otherwise through NCHW by the plane-moving swap, and back. */
function nchwcDepthwise(g: GraphBuilder, scope: string, x: string, kernel: string, bias: string | null, p: { c: number; n: number | null; h: number; w: number; kh: number; kw: number; sh: number; sw: number; pads: Pads; block: number; blocked?: string }): string {
  const op = ops(g, scope)
  const { c, kh, kw, block } = p
  const conv = (blocked: string, channels: number, k: string, b: string | null): string => {
    const reordered = nchwcFilter(g, scope, k, channels, kh, kw)
    const y = nchwcNode(g, scope, 'Conv', [blocked, reordered, ...(b ? [b] : [])], { group: attr.int(channels), kernel_shape: attr.ints([kh, kw]), strides: attr.ints([p.sh, p.sw]), pads: attr.ints(p.pads) })
    return nchwcNode(g, scope, 'ReorderOutput', [y], { channels: attr.int(channels) })
  }
  const n = p.n
  if (n !== null && (c * n) % block === 0) {
    const { ho, wo } = windowOut({ ...p, h: p.h, w: p.w })
    const tiledKernel = op('Reshape', [op('Expand', [op('Reshape', [kernel, g.int64Vector([c, 1, kh * kw])]), g.int64Vector([c, n, kh * kw])]), g.int64Vector([c * n, 1, kh, kw])])
    const tiledBias = bias ? op('Reshape', [op('Expand', [op('Reshape', [bias, g.int64Vector([c, 1])]), g.int64Vector([c, n])]), g.int64Vector([c * n])]) : null
    return op('Reshape', [conv(p.blocked ?? blockedImages(g, scope, x, c * n, p.h, p.w), c * n, tiledKernel, tiledBias), g.int64Vector([c, n, ho, wo])])
  }
  return swapBatchAndChannels(g, scope, conv(nchwcNode(g, scope, 'ReorderInput', [swapBatchAndChannels(g, scope, x)]), c, kernel, bias))
}

/** CNHW [c, n, h, w] read as one image of c * n channels (a multiple of the block), in the NCHWc
 * blocked layout. A depthwise forward and its kernel gradient read the same x, and the stride-1
 * dx and the kernel gradient the same dy, so the graph reorders each once: ONNX Runtime's
 * common-subexpression pass did not merge two, and the second reorder of the 112 x 112 x 768 input
 * took 4.9 ms of a whole-network batch of 8 (2 threads), as long as the first. */
function blockedImages(g: GraphBuilder, scope: string, x: string, channels: number, h: number, w: number): string {
  return nchwcNode(g, scope, 'ReorderInput', [ops(g, scope)('Reshape', [x, g.int64Vector([1, channels, h, w])])])
}

/** Depthwise k x k convolution: x [c, n, h, w] (CNHW), kernel [c, 1, kh, kw], one filter per
 * channel, bias [c] or null. `batch` null (a dynamic batch axis): forward and dx (ConvTranspose by
 * the same kernel) run as grouped convolutions in NCHW, between Transposes. `batch` n (a graph built
 * for one batch size): CNHW read as [1, c * n, h, w] is one image with a channel per (channel,
 * image) pair, so forward and dx are convolutions of c * n groups by the kernel tiled over the
 * images (Expand), with no Transposes; at stride 1 dx is the convolution of dy by the flipped
 * kernel, which ONNX Runtime runs faster than ConvTranspose there. dkernel at stride 1 on maps of
 * 14 x 14 and more sums, for each of the kh x kw taps, the product of dy with x shifted by the tap
 * (over the padded x), over images and space; otherwise (stride 2, small maps) it is the
 * swapped-axes convolution (as conv2d's, grouped by channel). Figures in segmentGraph.ts. */
export function depthwise(g: GraphBuilder, scope: string, x: string, kernel: string, bias: string | null, shape: Window & { c: number; batch?: number | null; nchwcBlock?: number | null }) {
  const op = ops(g, scope)
  const { c, kh, kw, sh, sw } = shape
  const n = shape.batch ?? null
  const [top, left, bottom, right] = shape.pads
  const { ho, wo, extraH, extraW } = windowOut(shape)
  const conv = { group: attr.int(c), kernel_shape: attr.ints([kh, kw]), strides: attr.ints([sh, sw]), pads: attr.ints(shape.pads) }
  /** the kernel (or its flip) once per image: [c * n, 1, kh, kw] */
  const tiled = (k: string, images: number): string => op('Reshape', [op('Expand', [op('Reshape', [k, g.int64Vector([c, 1, 1, kh, kw])]), g.int64Vector([c, images, 1, kh, kw])]), g.int64Vector([c * images, 1, kh, kw])])
  const asOneImage = (v: string, rows: number, cols: number, images: number): string => op('Reshape', [v, g.int64Vector([1, c * images, rows, cols])])
  const asCnhw = (v: string, rows: number, cols: number, images: number): string => op('Reshape', [v, g.int64Vector([c, images, rows, cols])])
  let kernelTiled: string | undefined
  const block = shape.nchwcBlock != null && c % shape.nchwcBlock === 0 ? shape.nchwcBlock : null
  // x as one blocked image, for the forward and dkernel, where the batch is known and fills blocks
  const blocked = block !== null && n !== null && (c * n) % block === 0 ? blockedImages(g, scope, x, c * n, shape.h, shape.w) : null
  const y =
    block !== null
      ? nchwcDepthwise(g, scope, x, kernel, bias, { c, n, h: shape.h, w: shape.w, kh, kw, sh, sw, pads: shape.pads, block, ...(blocked ? { blocked } : {}) })
      : n === null
      ? swapBatchAndChannels(g, scope, op('Conv', [swapBatchAndChannels(g, scope, x), kernel, ...(bias ? [bias] : [])], conv))
      : asCnhw(op('Conv', [asOneImage(x, shape.h, shape.w, n), (kernelTiled = tiled(kernel, n)), ...(bias ? [op('Reshape', [op('Expand', [op('Reshape', [bias, g.int64Vector([c, 1])]), g.int64Vector([c, n])]), g.int64Vector([c * n])])] : [])], { ...conv, group: attr.int(c * n) }), ho, wo, n)
  return {
    y,
    outShape: { c, h: ho, w: wo },
    backward(dy: string): ConvGradients {
      // dy as one blocked image, for the stride-1 dx and dkernel (as x for the forward)
      let blockedDy: string | undefined
      const dyBlocked = (): string | null => (blocked === null || n === null ? null : (blockedDy ??= blockedImages(g, scope, dy, c * n, ho, wo)))
      return {
        dx: () => {
          if (block !== null && sh === 1 && sw === 1) {
            const flipped = op('Slice', [kernel, g.int64Vector([kh - 1, kw - 1]), g.int64Vector([-kh - 1, -kw - 1]), g.int64Vector([2, 3]), g.int64Vector([-1, -1])])
            const reordered = dyBlocked()
            return nchwcDepthwise(g, scope, dy, flipped, null, { c, n, h: ho, w: wo, kh, kw, sh: 1, sw: 1, pads: [kh - 1 - top, kw - 1 - left, kh - 1 - bottom, kw - 1 - right], block, ...(reordered ? { blocked: reordered } : {}) })
          }
          if (n === null) return swapBatchAndChannels(g, scope, op('ConvTranspose', [swapBatchAndChannels(g, scope, dy), kernel], { ...conv, output_padding: attr.ints([extraH, extraW]) }))
          const grouped = { group: attr.int(c * n), kernel_shape: attr.ints([kh, kw]) }
          if (sh === 1 && sw === 1) {
            // the correlation of dy, padded by kernel - 1 - pad, by the kernel flipped in space
            const flipped = op('Slice', [kernel, g.int64Vector([kh - 1, kw - 1]), g.int64Vector([-kh - 1, -kw - 1]), g.int64Vector([2, 3]), g.int64Vector([-1, -1])])
            const pads = attr.ints([kh - 1 - top, kw - 1 - left, kh - 1 - bottom, kw - 1 - right])
            return asCnhw(op('Conv', [asOneImage(dy, ho, wo, n), tiled(flipped, n)], { ...grouped, pads }), shape.h, shape.w, n)
          }
          const dyOne = asOneImage(dy, ho, wo, n)
          return asCnhw(op('ConvTranspose', [dyOne, kernelTiled ?? tiled(kernel, n)], { ...grouped, strides: attr.ints([sh, sw]), pads: attr.ints(shape.pads), output_padding: attr.ints([extraH, extraW]) }), shape.h, shape.w, n)
        },
        dkernel: () => {
          if (blocked !== null && n !== null) {
            // per (channel, image) the correlation of x by dy (dilated by the stride) is a
            // depthwise convolution with dy as the kernel ([1, c * n, h, w] is CNHW as it lies),
            // on the NCHWc kernels; it covers every offset the padding allows (the kernel is its
            // first kh x kw), then the sum over images. 5-8 times the taps' or the correlation's
            // speed at every size MobileNetV2 has (figures above)
            // dy in the filter layout: its blocked layout, read as c * n filters
            const dyKernel = op('Reshape', [dyBlocked()!, g.int64Vector([c * n, 1, ho, wo])])
            const full = nchwcNode(g, scope, 'Conv', [blocked, dyKernel], { group: attr.int(c * n), kernel_shape: attr.ints([ho, wo]), dilations: attr.ints([sh, sw]), pads: attr.ints(shape.pads) })
            const [fullH, fullW] = [shape.h + top + bottom - sh * (ho - 1), shape.w + left + right - sw * (wo - 1)]
            let perImage = op('Reshape', [nchwcNode(g, scope, 'ReorderOutput', [full], { channels: attr.int(c * n) }), g.int64Vector([c, n, fullH, fullW])])
            if (fullH !== kh || fullW !== kw) perImage = op('Slice', [perImage, g.int64Vector([0, 0]), g.int64Vector([kh, kw]), g.int64Vector([2, 3])])
            return op('ReduceSum', [perImage, g.int64Vector([1])], { keepdims: attr.int(1) })
          }
          if (sh > 1 || sw > 1 || shape.h * shape.w < 14 * 14) {
            // strided Slices are slow: at stride 2 the correlation of x by dy as a grouped
            // convolution (channels as groups, images as the summed channels, which CNHW gives
            // by a reshape) measured 50 ms against 164 for the taps (112x112x96, batch 8, 1 thread);
            // on 7x7 maps it beats the taps too (11 ms against 21.5 at 7x7x960, batch 16)
            const full = op('Conv', [op('Reshape', [x, g.int64Vector([1, -1, shape.h, shape.w])]), dy], {
              group: attr.int(c),
              kernel_shape: attr.ints([ho, wo]),
              dilations: attr.ints([sh, sw]),
              pads: attr.ints(shape.pads)
            })
            const window = op('Slice', [full, g.int64Vector([0, 0]), g.int64Vector([kh, kw]), g.int64Vector([2, 3])])
            return op('Reshape', [window, g.int64Vector([c, 1, kh, kw])])
          }
          const padded = top + left + bottom + right > 0 ? op('Pad', [x, g.int64Vector([0, 0, top, left, 0, 0, bottom, right])]) : x
          const taps: string[] = []
          for (let i = 0; i < kh; i++) {
            for (let j = 0; j < kw; j++) {
              const shifted = op('Slice', [padded, g.int64Vector([i, j]), g.int64Vector([i + (ho - 1) * sh + 1, j + (wo - 1) * sw + 1]), g.int64Vector([2, 3]), g.int64Vector([sh, sw])])
              taps.push(op('ReduceSum', [op('Mul', [shifted, dy]), g.int64Vector([1, 2, 3])], { keepdims: attr.int(1) }))
            }
          }
          // [c, 1, 1, 1] per tap -> [c, kh * kw] -> [c, 1, kh, kw]
          return op('Reshape', [op('Concat', taps, { axis: attr.int(1) }), g.int64Vector([c, 1, kh, kw])])
        },
        dbias: () => sumPerChannel(g, scope, dy)
      }
    }
  }
}

/** Batch norm in inference mode (a frozen group's, the Keras rule): y = gamma (x - mean) / sqrt(var +
 * eps) + beta with the running statistics, per channel of x [c, n, h, w]. The statistics are
 * values of shape [c]; so are gamma and beta (null: scale 1, offset 0). */
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
 * biased variance over images and space (tf.moments), and gradients through both. `mean` and
 * `variance` ([c]) are what the caller's running-average update reads. */
export function trainBatchNorm(g: GraphBuilder, scope: string, x: string, p: { gamma: string | null; beta: string | null; epsilon: number; c: number }) {
  const op = ops(g, scope)
  const at = (v: string): string => perChannel(g, scope, v, p.c)
  // opset 17's ReduceMean takes its axes as an attribute (ReduceSum as an input)
  const mean = (v: string): string => op('ReduceMean', [v], { axes: attr.ints([1, 2, 3]), keepdims: attr.int(1) })
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
        // gamma / sigma * (dy - mean(dy) - xhat * mean(dy * xhat)), means over images and space
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
 * as TF.js's Relu6 gradient and the ReLU layer's relu-then-clipByValue both do. Layout-free. */
export function relu(g: GraphBuilder, scope: string, x: string, max: number | null) {
  const op = ops(g, scope)
  const y = max === null ? op('Relu', [x]) : op('Clip', [x, g.floatScalar(0), g.floatScalar(max)])
  return {
    y,
    backward(dy: string): string {
      const positive = op('Greater', [x, g.floatScalar(0)])
      const pass = max === null ? positive : op('And', [positive, op('LessOrEqual', [x, g.floatScalar(max)])])
      return op('Mul', [dy, op('Cast', [pass], { to: attr.int(1) })])
    }
  }
}

/** ReLU6, min(max(x, 0), 6). */
export const relu6 = (g: GraphBuilder, scope: string, x: string) => relu(g, scope, x, 6)
