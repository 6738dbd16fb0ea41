// Runs an exported bundle from its files alone, in either format: what the export's proof and
// `thaw predict <bundle>` use, so both see exactly what a deployment would.
import { ThawError } from '../errors'
import * as tf from '@tensorflow/tfjs'
import path from 'node:path'
import { loadOnnxRuntime } from '../engine/onnxruntime'
import { FILES, parseBundleMeta, requireFormat, type BundleMeta } from './bundleFiles'
import { checkLabelCount, insideBundle, readManifest, readVerified, type BundleManifest } from './manifest'
import { tfjsModelFromParts, weightPaths } from './tfjsFiles'

export interface BundleRunner {
  readonly meta: BundleMeta
  /** what runs the model, for reports */
  readonly runtime: string
  /** Probabilities [n, classes] for n images laid out [n, h, w, 3], float32 RGB 0..255. */
  run(inputs: Float32Array, n: number): Promise<Float32Array>
  close(): Promise<void>
}

async function tfjsRunner(dir: string, meta: BundleMeta, manifest: BundleManifest): Promise<BundleRunner> {
  const json = parseJson(dir, readVerified(dir, manifest, FILES.tfjsModel, FILES.manifest), FILES.tfjsModel)
  // every weight path model.json names goes through the same check: inside the bundle, listed, unchanged
  const shards = weightPaths(json).map((p) => readVerified(dir, manifest, insidePath(dir, p), FILES.tfjsModel))
  const model = await tfjsModelFromParts(json, shards)
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

async function onnxRunner(dir: string, meta: BundleMeta, manifest: BundleManifest): Promise<BundleRunner> {
  const ort = await loadOnnxRuntime()
  const session = await ort.InferenceSession.create(readVerified(dir, manifest, FILES.onnxModel, FILES.manifest))
  const input = session.inputNames[0]
  const output = session.outputNames[0]
  if (!input || !output) throw new ThawError('BAD_BUNDLE', 'the ONNX model has no input or no output')
  const { width, height } = meta.preprocessing.size
  // a model that fixes its batch at 1 (the export of a backbone file that does) runs image by image
  const first = session.inputMetadata[0]
  const batchOne = !!first?.isTensor && first.shape[0] === 1
  const runBatch = async (x: Float32Array, n: number): Promise<Float32Array> => {
    const result = await session.run({ [input]: new ort.Tensor('float32', x, [n, height, width, 3]) })
    const data = result[output]?.data
    if (!(data instanceof Float32Array)) throw new ThawError('BAD_BUNDLE', 'the ONNX model did not return float32 probabilities')
    return data
  }
  return {
    meta,
    runtime: `onnxruntime-node ${ort.env.versions.node ?? ort.env.versions.common} (CPU)`,
    async run(inputs, n) {
      if (!batchOne || n === 1) return runBatch(inputs, n)
      const per = inputs.length / n
      const rows: Float32Array[] = []
      for (let i = 0; i < n; i++) rows.push(await runBatch(inputs.subarray(i * per, (i + 1) * per), 1))
      const out = new Float32Array(rows.reduce((s, r) => s + r.length, 0))
      rows.forEach((r, i) => out.set(r, i * r.length))
      return out
    },
    close: () => session.release()
  }
}

function parseJson(dir: string, bytes: Buffer, name: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'))
  } catch (err) {
    throw new ThawError('BAD_BUNDLE', `${path.join(dir, name)} is not valid JSON: ${(err as Error).message}`)
  }
}

/** model.json's weight path, refused unless it stays inside the bundle; returned as given. */
function insidePath(dir: string, rel: unknown): string {
  insideBundle(dir, rel, FILES.tfjsModel)
  return rel as string
}

/** Opens a bundle only after its files passed the manifest check (manifest.ts), and only if its
 * labels match the model's outputs: one blank image through the model says how many there are. */
export async function openBundle(dir: string): Promise<BundleRunner> {
  const format = requireFormat(dir)
  const manifest = readManifest(dir)
  const json = (name: string): unknown => parseJson(dir, readVerified(dir, manifest, name, FILES.manifest), name)
  const meta = parseBundleMeta(dir, format, json(FILES.labels), json(FILES.preprocessing))
  let runner: BundleRunner
  try {
    runner = await (format === 'tfjs' ? tfjsRunner(dir, meta, manifest) : onnxRunner(dir, meta, manifest))
  } catch (err) {
    // a damaged bundle is an expected failure: say which bundle, with its own code
    if (err instanceof ThawError) throw err
    const why = (err as Error).message?.split('\n')[0] ?? String(err)
    throw new ThawError('BAD_BUNDLE', `the ${format} model in ${dir} cannot be loaded: ${why}`)
  }
  try {
    const { width, height } = meta.preprocessing.size
    const outputs = (await runner.run(new Float32Array(width * height * 3), 1)).length
    checkLabelCount(dir, meta.labels.length, outputs)
    return runner
  } catch (err) {
    await runner.close()
    if (err instanceof ThawError) throw err
    throw new ThawError('BAD_BUNDLE', `the ${format} model in ${dir} does not run: ${(err as Error).message.split('\n')[0]}`)
  }
}
