// predict.mjs: a starting point for running the bundle in Node, written into every bundle. It
// decodes exactly as the studio does (sharp: EXIF rotation, alpha on white, sRGB, the same
// resize), so its probabilities match `thaw predict` on the same files.
import type { ExportFormat } from '../../../shared/export'

const HEADER = `#!/usr/bin/env node
// Runs this Thaw Studio bundle in Node.
//   npm install            (installs what package.json lists)
//   node predict.mjs <image>... [--json]
// Prints one line per image, or with --json the same JSON as "thaw predict":
//   [{ "path": ..., "label": ..., "probs": { "<class>": p, ... } }, ...]
import fs from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'

const here = path.dirname(fileURLToPath(import.meta.url))
const readJson = async (name) => JSON.parse(await fs.readFile(path.join(here, name), 'utf8'))
const labels = await readJson('labels.json')
const pre = await readJson('preprocessing.json')
const { width, height } = pre.size

// The studio's decode: EXIF orientation applied, alpha flattened on white, 8-bit sRGB RGB, then
// resized ("squash" stretches the whole picture, "center-crop" scales the short side and cuts the
// centre). The model wants raw 0..255 values as float32: it scales them itself.
async function decode(file) {
  const { data } = await sharp(file, { failOn: 'error', autoOrient: true })
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .removeAlpha()
    .resize(width, height, { fit: pre.resize === 'squash' ? 'fill' : 'cover', position: 'centre' })
    .raw()
    .toBuffer({ resolveWithObject: true })
  return Float32Array.from(data)
}
`

const TFJS = `
// Fastest first: tfjs-node (native TensorFlow) if installed, then the wasm backend, then plain JS.
async function loadTf() {
  try {
    return await import('@tensorflow/tfjs-node')
  } catch {}
  const tf = await import('@tensorflow/tfjs')
  try {
    await import('@tensorflow/tfjs-backend-wasm')
    await tf.setBackend('wasm')
  } catch {}
  await tf.ready()
  return tf
}

// Plain @tensorflow/tfjs cannot read file:// URLs in Node, so the shards are read here and
// handed to tf.loadLayersModel in memory.
async function loadModel(tf) {
  const json = await readJson('model.json')
  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights)
  const shards = await Promise.all(json.weightsManifest.flatMap((g) => g.paths).map((p) => fs.readFile(path.join(here, p))))
  const data = Buffer.concat(shards)
  const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData }))
}

const tf = await loadTf()
const model = await loadModel(tf)
const classify = async (input) => {
  const out = tf.tidy(() => model.predict(tf.tensor4d(input, [1, height, width, 3])))
  const probs = await out.data()
  out.dispose()
  return probs
}
`

const ONNX = `
import ort from 'onnxruntime-node'

const session = await ort.InferenceSession.create(path.join(here, 'model.onnx'))
const classify = async (input) => {
  const result = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, [1, height, width, 3]) })
  return result[session.outputNames[0]].data
}
`

const MAIN = `
const args = process.argv.slice(2)
const json = args.includes('--json')
const files = args.filter((a) => a !== '--json')
if (files.length === 0) {
  process.stderr.write('usage: node predict.mjs <image>... [--json]\\n')
  process.exit(2)
}
const results = []
for (const file of files) {
  try {
    const probs = await classify(await decode(file))
    let best = 0
    for (let i = 1; i < probs.length; i++) if (probs[i] > probs[best]) best = i
    results.push({ path: path.resolve(file), label: labels[best], probs: Object.fromEntries(labels.map((l, i) => [l, probs[i]])) })
  } catch (err) {
    results.push({ path: path.resolve(file), error: err.message })
  }
}
if (json) process.stdout.write(JSON.stringify(results, null, 2) + '\\n')
else {
  for (const r of results) {
    process.stdout.write(r.error ? r.path + ': error: ' + r.error + '\\n' : r.path + ': ' + r.label + ' (' + (100 * r.probs[r.label]).toFixed(1) + '%)\\n')
  }
}
process.exitCode = results.some((r) => r.error) ? 1 : 0
`

export function predictMjs(format: ExportFormat): string {
  // ESM hoists imports anyway; keeping them together reads better for whoever edits the file
  if (format === 'onnx') {
    const [importLine, ...rest] = ONNX.trim().split('\n')
    return HEADER.replace("import sharp from 'sharp'\n", `import sharp from 'sharp'\n${importLine}\n`) + rest.join('\n') + '\n' + MAIN
  }
  return HEADER + TFJS + MAIN
}
