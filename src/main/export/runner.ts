// Runs an exported bundle from its files alone, in either format: what the export's proof and
// `thaw predict <bundle>` use, so both see exactly what a deployment would.
import { ThawError } from '../errors'
import * as tf from '@tensorflow/tfjs'
import path from 'node:path'
import { loadOnnxRuntime } from '../engine/onnxruntime'
import { FILES, readBundleMeta, type BundleMeta } from './bundleFiles'
import { loadTfjsModel } from './tfjsFiles'

export interface BundleRunner {
  readonly meta: BundleMeta
  /** what runs the model, for reports */
  readonly runtime: string
  /** Probabilities [n, classes] for n images laid out [n, h, w, 3], float32 RGB 0..255. */
  run(inputs: Float32Array, n: number): Promise<Float32Array>
  close(): Promise<void>
}

async function tfjsRunner(dir: string, meta: BundleMeta): Promise<BundleRunner> {
  const model = await loadTfjsModel(dir)
  const { width, height } = meta.preprocessing.size
  return {
    meta,
    runtime: `TF.js ${tf.version_core} (${tf.getBackend()} backend)`,
    async run(inputs, n) {
      const out = tf.tidy(() => model.predict(tf.tensor4d(inputs, [n, height, width, 3])) as tf.Tensor)
      try {
        return (await out.data()) as Float32Array
      } finally {
        out.dispose()
      }
    },
    close: async () => {
      model.dispose()
    }
  }
}

async function onnxRunner(dir: string, meta: BundleMeta): Promise<BundleRunner> {
  const ort = await loadOnnxRuntime()
  const session = await ort.InferenceSession.create(path.join(dir, FILES.onnxModel))
  const input = session.inputNames[0]
  const output = session.outputNames[0]
  if (!input || !output) throw new ThawError('BAD_BUNDLE', 'the ONNX model has no input or no output')
  const { width, height } = meta.preprocessing.size
  return {
    meta,
    runtime: `onnxruntime-node ${ort.env.versions.node ?? ort.env.versions.common} (CPU)`,
    async run(inputs, n) {
      const result = await session.run({ [input]: new ort.Tensor('float32', inputs, [n, height, width, 3]) })
      const data = result[output]?.data
      if (!(data instanceof Float32Array)) throw new ThawError('BAD_BUNDLE', 'the ONNX model did not return float32 probabilities')
      return data
    },
    close: () => session.release()
  }
}

export async function openBundle(dir: string): Promise<BundleRunner> {
  const meta = readBundleMeta(dir)
  try {
    return await (meta.format === 'tfjs' ? tfjsRunner(dir, meta) : onnxRunner(dir, meta))
  } catch (err) {
    // a damaged bundle is an expected failure: say which bundle, with its own code
    if (err instanceof ThawError) throw err
    const why = (err as Error).message?.split('\n')[0] ?? String(err)
    throw new ThawError('BAD_BUNDLE', `the ${meta.format} model in ${dir} cannot be loaded: ${why}`)
  }
}
