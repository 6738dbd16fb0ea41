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
import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'

const here = await fs.realpath(path.dirname(fileURLToPath(import.meta.url)))
const wantJson = process.argv.includes('--json')

// One line that says which file is wrong, with the same codes as "thaw predict", and exit 1.
function fail(code, message) {
  if (wantJson) process.stdout.write(JSON.stringify({ error: { code, message } }) + '\\n')
  process.stderr.write('predict.mjs: error: ' + message + '\\n')
  process.exit(1)
}

// Tamper evidence: manifest.json holds the sha256 of every file the export wrote. Whatever
// decides a prediction (the model, its weights, labels.json, preprocessing.json) is read only
// if its path stays inside this folder and its bytes have the listed digest.
let manifest
try {
  manifest = JSON.parse(await fs.readFile(path.join(here, 'manifest.json'), 'utf8'))
} catch {
  fail('BUNDLE_NO_MANIFEST', 'manifest.json is missing or unreadable, so the files cannot be checked: export the bundle again')
}
if (manifest?.format !== 'thaw-bundle-manifest/1' || manifest.algorithm !== 'sha256' || typeof manifest.files !== 'object') {
  fail('BUNDLE_BAD_MANIFEST', 'manifest.json is not a thaw-bundle-manifest/1 manifest')
}

async function inside(rel, from) {
  const outside = (why) => fail('BUNDLE_PATH_OUTSIDE', from + ' in ' + here + ' names ' + JSON.stringify(rel) + ', ' + why + '; a bundle reads only its own files')
  if (typeof rel !== 'string' || rel === '') outside('which is not a file name')
  if (path.isAbsolute(rel) || path.win32.isAbsolute(rel)) outside('an absolute path')
  if (rel.split(/[\\\\/]/).includes('..')) outside('a path that leaves the bundle folder')
  const abs = path.resolve(here, rel)
  const real = await fs.realpath(abs).catch(() => abs)
  if (!real.startsWith(here + path.sep)) outside('a link to ' + real + ' outside the bundle folder')
  return abs
}

async function readVerified(rel, from = 'manifest.json') {
  const abs = await inside(rel, from)
  const want = manifest.files[rel]
  if (!want) fail('BUNDLE_UNLISTED_FILE', rel + ' in ' + here + ' is not listed in manifest.json: it was not written by the export')
  const bytes = await fs.readFile(abs).catch(() => fail('BUNDLE_MISSING_FILE', rel + ' is missing (manifest.json lists it)'))
  const got = createHash('sha256').update(bytes).digest('hex')
  if (got !== want) fail('BUNDLE_TAMPERED', rel + ' in ' + here + ' was changed after export: its sha256 is ' + got.slice(0, 12) + '…, manifest.json says ' + want.slice(0, 12) + '…; export the bundle again')
  return bytes
}

const readJson = async (name, from) => JSON.parse((await readVerified(name, from)).toString('utf8'))
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
  const shards = []
  for (const p of json.weightsManifest.flatMap((g) => g.paths)) shards.push(await readVerified(p, 'model.json'))
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

const session = await ort.InferenceSession.create(await readVerified('model.onnx'))
const classify = async (input) => {
  const result = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, [1, height, width, 3]) })
  return result[session.outputNames[0]].data
}
`

const MAIN = `
// labels.json must name as many classes as the model has outputs
const outputs = (await classify(new Float32Array(width * height * 3))).length
if (outputs !== labels.length) {
  fail('BUNDLE_LABELS_MISMATCH', 'labels.json in ' + here + ' names ' + labels.length + ' classes but the model gives ' + outputs + ' outputs: labels and model do not belong together')
}

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
