import type { TensorInfo } from '@tensorflow/tfjs'
import { cropToWindows, fitWindow, zeroDilate, type AxisWindow, type ConvGeometry } from './conv_geometry'
import { gatherTaps, scatterStrided } from './heap_copies'
import { dim, type WasmOps } from './wasm_ops'

export type ConvKind = 'dense' | 'depthwise'

/**
 * One output phase of a transposed conv along one axis: the dx positions
 * first, first+step, ... (count of them) are a stride-1 correlation of dy
 * with `taps` (filter indexes in correlation order, -1 for a zero tap).
 */
interface AxisPhase {
  taps: number[]
  dilation: number
  /** dy index under the first tap when computing the first output. */
  start: number
  first: number
  count: number
  step: number
}

/**
 * dx of a conv, given dy: dx[h] = sum over (oh, t) with oh*s + t*d - pad = h
 * of dy[oh] * W[t].
 *
 * For stride 1 this is a correlation of dy with the flipped filter. For
 * stride s > 1 (and dilation 1) the dx positions split into s phases per axis
 * (h + pad mod s); each phase only meets the taps t = phase (mod s), so it is
 * a small stride-1 correlation of the *undilated* dy, and the phases are
 * interleaved afterwards. That does the forward's number of multiplies,
 * where correlating a zero-dilated dy would do s*s times more.
 *
 * All phases of an axis get the same tap count (zero taps prepended) so every
 * depthwise conv uses the same, fast, XNNPACK microkernel.
 */
export function inputGradient(ops: WasmOps, dy: TensorInfo, filter: TensorInfo, geo: ConvGeometry, kind: ConvKind): TensorInfo {
  const [sh, sw] = geo.strides
  const [dh, dw] = geo.dilations
  if ((sh > 1 && dh > 1) || (sw > 1 && dw > 1)) {
    // Never requested by tfjs gradients (they refuse dilation > 1); kept simple.
    const spread = zeroDilate(ops, dy, geo.strides)
    const rows = [flippedPhase(geo.filterHeight, dh, geo.padTop, geo.inHeight)]
    const cols = [flippedPhase(geo.filterWidth, dw, geo.padLeft, geo.inWidth)]
    return runPhases(ops, spread, filter, geo, kind, rows, cols)
  }
  const rows = axisPhases(geo.filterHeight, sh, dh, geo.padTop, geo.inHeight)
  const cols = axisPhases(geo.filterWidth, sw, dw, geo.padLeft, geo.inWidth)
  return runPhases(ops, dy, filter, geo, kind, rows, cols)
}

function flippedPhase(kernel: number, dilation: number, pad: number, inSize: number): AxisPhase {
  const taps = Array.from({ length: kernel }, (_, i) => kernel - 1 - i)
  return { taps, dilation, start: pad - (kernel - 1) * dilation, first: 0, count: inSize, step: 1 }
}

function axisPhases(kernel: number, stride: number, dilation: number, pad: number, inSize: number): AxisPhase[] {
  if (stride === 1) return [flippedPhase(kernel, dilation, pad, inSize)]
  const longest = Math.ceil(kernel / stride)
  const phases: AxisPhase[] = []
  for (let phase = 0; phase < stride; phase++) {
    const forwardTaps: number[] = []
    for (let t = phase; t < kernel; t += stride) forwardTaps.push(t)
    const firstCell = Math.ceil((pad - phase) / stride)
    const lastCell = Math.floor((inSize - 1 + pad - phase) / stride)
    const count = lastCell - firstCell + 1
    if (forwardTaps.length === 0 || count <= 0) continue
    const padding = new Array<number>(longest - forwardTaps.length).fill(-1)
    phases.push({
      taps: [...padding, ...forwardTaps.reverse()],
      dilation: 1,
      start: firstCell - (longest - 1),
      first: firstCell * stride + phase - pad,
      count,
      step: stride
    })
  }
  return phases
}

interface PhaseJob {
  rows: AxisPhase
  cols: AxisPhase
  rowWindow: AxisWindow
  colWindow: AxisWindow
  dyWindow: TensorInfo
}

function runPhases(
  ops: WasmOps,
  dy: TensorInfo,
  filter: TensorInfo,
  geo: ConvGeometry,
  kind: ConvKind,
  rowPhases: AxisPhase[],
  colPhases: AxisPhase[]
): TensorInfo {
  const jobs: PhaseJob[] = []
  for (const rows of rowPhases) {
    for (const cols of colPhases) {
      const rowWindow = fitWindow(dim(dy, 1), rows.start, rows.count, 1, rows.taps.length, rows.dilation)
      const colWindow = fitWindow(dim(dy, 2), cols.start, cols.count, 1, cols.taps.length, cols.dilation)
      const dyWindow = cropToWindows(ops, dy, rowWindow, colWindow)
      if (dyWindow !== null) jobs.push({ rows, cols, rowWindow, colWindow, dyWindow })
    }
  }
  const dxShape = [geo.batch, geo.inHeight, geo.inWidth, geo.inChannels]
  const only = jobs.length === 1 ? jobs[0]! : null
  if (only !== null && coversAxis(only.rows, geo.inHeight) && coversAxis(only.cols, geo.inWidth)) {
    return phaseGradient(ops, only, filter, geo, kind)
  }
  const covered = jobs.reduce((cells, job) => cells + job.rows.count * job.cols.count, 0)
  const dx = ops.allocate(dxShape, covered < geo.inHeight * geo.inWidth)
  for (const job of jobs) {
    const part = phaseGradient(ops, job, filter, geo, kind)
    scatterStrided(ops, dx, part, [job.rows.first, job.rows.step], [job.cols.first, job.cols.step])
  }
  return dx
}

function coversAxis(phase: AxisPhase, size: number): boolean {
  return phase.first === 0 && phase.step === 1 && phase.count === size
}

function phaseGradient(ops: WasmOps, job: PhaseJob, filter: TensorInfo, geo: ConvGeometry, kind: ConvKind): TensorInfo {
  const taps = gatherTaps(ops, filter, job.rows.taps, job.cols.taps)
  const conv = {
    strides: [1, 1],
    dilations: [job.rows.dilation, job.cols.dilation],
    padTop: job.rowWindow.padBefore,
    padBottom: job.rowWindow.padAfter,
    padLeft: job.colWindow.padBefore,
    padRight: job.colWindow.padAfter
  } as const
  if (kind === 'dense') return ops.conv2d(job.dyWindow, ops.transpose(taps, [0, 1, 3, 2]), conv)
  const multiplier = dim(filter, 3)
  const perOutputChannel = ops.depthwiseConv2d(
    job.dyWindow,
    ops.reshape(taps, [job.rows.taps.length, job.cols.taps.length, geo.outChannels, 1]),
    conv
  )
  if (multiplier === 1) return perOutputChannel
  const [b, h, w] = perOutputChannel.shape as [number, number, number]
  return ops.sum(ops.reshape(perOutputChannel, [b, h, w, geo.inChannels, multiplier]), [4])
}
