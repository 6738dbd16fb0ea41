// The "proven equal" check: run the exported file in onnxruntime and compare with what tfjs said.
import type * as Ort from 'onnxruntime-node'
import { loadOnnxRuntime } from '../../engine/onnxruntime'
import { OnnxExportError } from './errors'

export interface VerifyOptions {
  /** Shape of `inputs`; by default the model's input shape with the batch taken from the data. */
  inputShape?: number[]
  /** onnxruntime intra-op threads (default: onnxruntime's choice). */
  threads?: number
}

export interface VerifyResult {
  /** Largest |onnx - expected| over every output value (Infinity if either has a NaN). */
  maxAbsDiff: number
  /** Every row's arg-max (over the last axis) is the same in both. */
  top1Agree: boolean
  rows: number
  rowsAgreeing: number
  /** What onnxruntime computed, flattened. */
  output: Float32Array
}

function argmax(data: Float32Array, start: number, length: number): number {
  let best = 0
  for (let j = 1; j < length; j++) if ((data[start + j] as number) > (data[start + best] as number)) best = j
  return best
}

function inferShape(session: Ort.InferenceSession, length: number): number[] {
  const meta = session.inputMetadata[0]
  if (!meta || !meta.isTensor) throw new OnnxExportError('ONNX_VERIFY', 'the ONNX model has no tensor input')
  const rest = meta.shape.slice(1)
  if (rest.some((d) => typeof d !== 'number')) {
    throw new OnnxExportError('ONNX_VERIFY', `the input shape [${meta.shape.join(', ')}] has unknown sizes: pass inputShape`)
  }
  const per = (rest as number[]).reduce((a, b) => a * b, 1)
  if (per === 0 || length % per !== 0) {
    throw new OnnxExportError('ONNX_VERIFY', `${length} input values do not make whole samples of shape [${rest.join(', ')}]`)
  }
  return [length / per, ...(rest as number[])]
}

/**
 * Runs the ONNX model `bytes` (one input, one output) on `inputs` and compares its output with
 * `expected` (e.g. tfjs's probabilities for the same batch).
 */
export async function verifyOnnx(bytes: Uint8Array, inputs: Float32Array, expected: Float32Array, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const ort = await loadOnnxRuntime()
  const session = await ort.InferenceSession.create(bytes, opts.threads ? { intraOpNumThreads: opts.threads } : {})
  try {
    if (session.inputNames.length !== 1 || session.outputNames.length !== 1) {
      throw new OnnxExportError('ONNX_VERIFY', `verifyOnnx needs one input and one output, the model has ${session.inputNames.length} and ${session.outputNames.length}`)
    }
    const shape = opts.inputShape ?? inferShape(session, inputs.length)
    const feeds = { [session.inputNames[0] as string]: new ort.Tensor('float32', inputs, shape) }
    const result = await session.run(feeds)
    const tensor = result[session.outputNames[0] as string]
    if (!tensor || !(tensor.data instanceof Float32Array)) throw new OnnxExportError('ONNX_VERIFY', 'the ONNX model did not return a float32 tensor')
    const output = tensor.data
    if (output.length !== expected.length) {
      throw new OnnxExportError('ONNX_VERIFY', `the ONNX model returned ${output.length} values [${tensor.dims.join(', ')}], expected ${expected.length}`)
    }
    let maxAbsDiff = 0
    for (let i = 0; i < output.length; i++) {
      const d = Math.abs((output[i] as number) - (expected[i] as number))
      maxAbsDiff = Number.isNaN(d) ? Infinity : Math.max(maxAbsDiff, d)
    }
    const rows = shape[0] ?? 1
    const width = output.length / rows
    let rowsAgreeing = 0
    for (let r = 0; r < rows; r++) if (argmax(output, r * width, width) === argmax(expected, r * width, width)) rowsAgreeing++
    return { maxAbsDiff, top1Agree: rowsAgreeing === rows, rows, rowsAgreeing, output }
  } finally {
    await session.release()
  }
}
