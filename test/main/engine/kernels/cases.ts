import { describePad, outputSize, pick, randomInt, randomSpatialPads, seededRandom, type Pad, type Shape4 } from './support'

/** One forward conv whose gradients are checked; shapes are NHWC unless dataFormat says NCHW. */
export interface ConvCase {
  x: Shape4
  filter: Shape4
  dy: Shape4
  strides: [number, number]
  dilations: [number, number]
  pad: Pad
  dimRoundingMode?: 'floor' | 'round' | 'ceil'
  dataFormat: 'NHWC' | 'NCHW'
}

export function describeCase(c: ConvCase): string {
  const rounding = c.dimRoundingMode ? ` round=${c.dimRoundingMode}` : ''
  return `x=[${c.x}] filter=[${c.filter}] strides=[${c.strides}] dilations=[${c.dilations}] pad=${describePad(c.pad)}${rounding} ${c.dataFormat}`
}

interface CaseSpec {
  kernel: [number, number]
  strides: [number, number]
  dilations?: [number, number]
  pad: 'same' | 'valid' | 'explicit' | number
  depthwise: boolean
  multiplier?: number
  dataFormat?: 'NHWC' | 'NCHW'
  dimRoundingMode?: 'floor' | 'round' | 'ceil'
  maxSize?: number
  minSize?: number
  channels?: [number, number]
  batch?: number
}

/** Draws random batch/size/channels for a spec until the forward output is non-empty. */
export function makeCase(random: () => number, spec: CaseSpec): ConvCase {
  const dilations = spec.dilations ?? [1, 1]
  for (;;) {
    const batch = spec.batch ?? randomInt(random, 1, 4)
    const h = randomInt(random, spec.minSize ?? 1, spec.maxSize ?? 9)
    const w = randomInt(random, spec.minSize ?? 1, spec.maxSize ?? 9)
    const [minChannels, maxChannels] = spec.channels ?? [1, 5]
    const inChannels = randomInt(random, minChannels, maxChannels)
    const last = spec.depthwise ? (spec.multiplier ?? 1) : randomInt(random, minChannels, maxChannels + 1)
    const nchw = spec.dataFormat === 'NCHW'
    const named = spec.pad === 'explicit' ? null : spec.pad
    const spatialPads = randomSpatialPads(random, 3)
    const pad: Pad =
      named ?? (nchw ? [[0, 0], [0, 0], ...spatialPads] : [[0, 0], ...spatialPads, [0, 0]])
    const [kh, kw] = spec.kernel
    const padAlong = (axis: 0 | 1) => named ?? spatialPads[axis]
    const oh = outputSize(h, kh, spec.strides[0], dilations[0], padAlong(0), spec.dimRoundingMode)
    const ow = outputSize(w, kw, spec.strides[1], dilations[1], padAlong(1), spec.dimRoundingMode)
    if (oh < 1 || ow < 1) continue
    const outChannels = spec.depthwise ? inChannels * last : last
    return {
      x: nchw ? [batch, inChannels, h, w] : [batch, h, w, inChannels],
      filter: [kh, kw, inChannels, last],
      dy: nchw ? [batch, outChannels, oh, ow] : [batch, oh, ow, outChannels],
      strides: spec.strides,
      dilations,
      pad,
      dataFormat: spec.dataFormat ?? 'NHWC',
      ...(spec.dimRoundingMode ? { dimRoundingMode: spec.dimRoundingMode } : {})
    }
  }
}

function pointwise(x: Shape4, outChannels: number): ConvCase {
  return {
    x,
    filter: [1, 1, x[3], outChannels],
    dy: [x[0], x[1], x[2], outChannels],
    strides: [1, 1],
    dilations: [1, 1],
    pad: 'valid',
    dataFormat: 'NHWC'
  }
}

const KERNELS = [1, 3, 5] as const

/** Stride phases with unequal tap counts, and phases with no taps at all (kernel < stride). */
const evenKernelsAndLongStrides = [
  { kernel: [2, 2], strides: [2, 2], pad: 'same' },
  { kernel: [4, 4], strides: [3, 3], pad: 'valid', minSize: 4 },
  { kernel: [5, 3], strides: [3, 2], pad: 'explicit', minSize: 3 },
  { kernel: [2, 1], strides: [3, 3], pad: 'same' }
] as const satisfies ReadonlyArray<Omit<CaseSpec, 'depthwise'>>
const STRIDES = [1, 2] as const
const PADS = ['same', 'valid', 'explicit'] as const

/** Every kernel size x stride x padding, plus NCHW, rounding modes, asymmetric strides and wider channels. */
export function conv2dCases(): ConvCase[] {
  const random = seededRandom(7)
  const cases: ConvCase[] = []
  for (const k of KERNELS) {
    for (const s of STRIDES) {
      for (const pad of PADS) cases.push(makeCase(random, { kernel: [k, k], strides: [s, s], pad, depthwise: false }))
    }
  }
  for (const pad of PADS) {
    const kernel = pick(random, KERNELS)
    cases.push(makeCase(random, { kernel: [kernel, kernel], strides: [2, 2], pad, depthwise: false, dataFormat: 'NCHW' }))
  }
  for (const dimRoundingMode of ['floor', 'round', 'ceil'] as const) {
    cases.push(makeCase(random, { kernel: [3, 3], strides: [2, 2], pad: 1, depthwise: false, dimRoundingMode }))
  }
  cases.push(makeCase(random, { kernel: [3, 1], strides: [1, 2], pad: 'same', depthwise: false }))
  cases.push(makeCase(random, { kernel: [1, 5], strides: [2, 1], pad: 'valid', depthwise: false }))
  for (const extra of evenKernelsAndLongStrides) cases.push(makeCase(random, { ...extra, depthwise: false }))
  // MobileNetV2-like pointwise convs, widening and narrowing (the two product orders of the 1x1 path).
  cases.push(pointwise([3, 7, 7, 16], 40), pointwise([2, 6, 5, 40], 16))
  cases.push(makeCase(random, { kernel: [1, 1], strides: [2, 2], pad: 'same', depthwise: false, channels: [12, 24], minSize: 6 }))
  cases.push(makeCase(random, { kernel: [3, 3], strides: [1, 1], pad: 'same', depthwise: false, channels: [8, 16], minSize: 8, maxSize: 12 }))
  return cases
}

/**
 * Kernel x stride x padding x channel multiplier, dilation 2 (alone, as the
 * gradients allow, and with stride 2, which only direct kernel calls reach),
 * and dy sizes that exercise every block plan of the filter gradient.
 */
export function depthwiseCases(): ConvCase[] {
  const random = seededRandom(11)
  const cases: ConvCase[] = []
  for (const k of KERNELS) {
    for (const s of STRIDES) {
      for (const pad of PADS) {
        for (const multiplier of [1, 2]) {
          cases.push(makeCase(random, { kernel: [k, k], strides: [s, s], pad, depthwise: true, multiplier }))
        }
      }
    }
  }
  for (const k of [3, 5]) {
    for (const pad of PADS) {
      cases.push(makeCase(random, { kernel: [k, k], strides: [1, 1], dilations: [2, 2], pad, depthwise: true, multiplier: pick(random, [1, 2]), minSize: 4 }))
    }
  }
  cases.push(makeCase(random, { kernel: [3, 3], strides: [2, 2], dilations: [2, 2], pad: 'same', depthwise: true, minSize: 5 }))
  cases.push(makeCase(random, { kernel: [3, 3], strides: [1, 2], dilations: [2, 1], pad: 'explicit', depthwise: true, minSize: 5 }))
  for (const dimRoundingMode of ['floor', 'round', 'ceil'] as const) {
    cases.push(makeCase(random, { kernel: [3, 3], strides: [2, 2], pad: 1, depthwise: true, dimRoundingMode }))
  }
  for (const extra of evenKernelsAndLongStrides) cases.push(makeCase(random, { ...extra, depthwise: true, multiplier: 2 }))
  // dy of 1xN, 2x2, 3x3, 5x5 (one block) and 16x13 (many blocks with partial edges).
  cases.push(makeCase(random, { kernel: [1, 3], strides: [1, 1], pad: 'same', depthwise: true, batch: 3, minSize: 1, maxSize: 1 }))
  for (const size of [2, 3, 5, 7]) {
    cases.push({ ...makeCase(random, { kernel: [3, 3], strides: [1, 1], pad: 'same', depthwise: true, batch: 2, minSize: size, maxSize: size }) })
  }
  cases.push(makeCase(random, { kernel: [3, 3], strides: [1, 1], pad: 'same', depthwise: true, minSize: 13, maxSize: 16, multiplier: 2 }))
  cases.push(makeCase(random, { kernel: [3, 3], strides: [2, 2], pad: 'same', depthwise: true, batch: 4, minSize: 14, maxSize: 14, channels: [16, 24] }))
  return cases
}
