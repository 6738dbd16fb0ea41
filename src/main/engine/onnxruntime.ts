// onnxruntime-node, loaded on first use by the engine worker that needs it (export's check, the
// ONNX tasks), not when a worker starts: most workers never run ONNX, and onnxruntime's issues
// report crashes with several threads loading it at once. Never import it on the main thread.
import type * as Ort from 'onnxruntime-node'

export type OnnxRuntime = typeof Ort

let loading: Promise<OnnxRuntime> | null = null

/** The onnxruntime-node module, imported once per worker. */
export function loadOnnxRuntime(): Promise<OnnxRuntime> {
  loading ??= import('onnxruntime-node').catch((err: unknown) => {
    loading = null // a failed load (a missing native binary) may be retried after a fix
    throw err
  })
  return loading
}
