// TensorFlow's padding rules as explicit ONNX pads. TF's 'same' puts the odd pixel of padding
// after (bottom/right), which is why a stride-2 'same' conv on an even size is not symmetric.

export type PaddingMode = 'same' | 'valid'

/** Padding before and after one spatial axis, as TF (and tfjs) computes it. */
export function tfPadding(inSize: number, kernel: number, stride: number, dilation: number, mode: PaddingMode): [number, number] {
  if (mode === 'valid') return [0, 0]
  const effectiveKernel = (kernel - 1) * dilation + 1
  const outSize = Math.ceil(inSize / stride)
  const total = Math.max((outSize - 1) * stride + effectiveKernel - inSize, 0)
  const before = Math.floor(total / 2)
  return [before, total - before]
}

export interface Window2D {
  kernel: [number, number]
  strides: [number, number]
  dilations: [number, number]
  mode: PaddingMode
}

/**
 * ONNX `pads` ([top, left, bottom, right]) for a window over an NHWC shape, or null when 'same'
 * meets an unknown height or width: the caller then uses auto_pad SAME_UPPER, which is the same
 * rule computed at run time.
 */
export function onnxPads(shape: readonly (number | null)[], w: Window2D): number[] | null {
  const [h, wd] = [shape[1], shape[2]]
  if (w.mode === 'valid') return [0, 0, 0, 0]
  if (h == null || wd == null) return null
  const [top, bottom] = tfPadding(h, w.kernel[0], w.strides[0], w.dilations[0], w.mode)
  const [left, right] = tfPadding(wd, w.kernel[1], w.strides[1], w.dilations[1], w.mode)
  return [top, left, bottom, right]
}
