// index.html + classify.js: run the bundle in a browser, drop an image in. Scripts are files, not
// inline, so the page's CSP can forbid inline script; 'wasm-unsafe-eval' is there because the
// runtimes compile WebAssembly, and only for that.
import type { ExportFormat } from '../../../shared/export'

/** onnxruntime-web, pinned to the onnxruntime-node the studio checks bundles with (a test keeps
 * the two and package.json in step). */
export const ORT_WEB_VERSION = '1.30.0'

/** Files copied from onnxruntime-web into vendor/ for an ONNX bundle, so the page works offline
 * and under a CSP that allows only the page's own origin (it loaded from a CDN before): the
 * wasm-only build (no WebGL/WebGPU code the page never uses), its Emscripten glue, which the
 * build imports as a module, and the SIMD wasm binary (one thread: no cross-origin isolation). */
export const ORT_VENDOR = [
  { pkg: 'onnxruntime-web/wasm', file: 'dist/ort.wasm.min.js' },
  { pkg: 'onnxruntime-web/wasm', file: 'dist/ort-wasm-simd-threaded.mjs' },
  { pkg: 'onnxruntime-web/wasm', file: 'dist/ort-wasm-simd-threaded.wasm' }
] as const

/** Files copied from @tensorflow/tfjs* into vendor/ for a tfjs bundle, so the page works offline.
 * The es2017 builds: the ES5 ones carry polyfills that evaluate strings (regenerator's
 * Function("return this")), which a CSP without 'unsafe-eval' refuses. */
export const TFJS_VENDOR = [
  { pkg: '@tensorflow/tfjs', file: 'dist/tf.es2017.min.js' },
  { pkg: '@tensorflow/tfjs-backend-wasm', file: 'dist/tf-backend-wasm.es2017.min.js' },
  { pkg: '@tensorflow/tfjs-backend-wasm', file: 'dist/tfjs-backend-wasm.wasm' },
  { pkg: '@tensorflow/tfjs-backend-wasm', file: 'dist/tfjs-backend-wasm-simd.wasm' }
] as const

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

export function indexHtml(format: ExportFormat, title: string): string {
  // both runtimes are vendored: nothing is fetched from anywhere but the page's own origin
  const csp =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; connect-src 'self'; object-src 'none'; base-uri 'none'"
  const runtime =
    format === 'tfjs'
      ? '    <script src="vendor/tf.es2017.min.js"></script>\n    <script src="vendor/tf-backend-wasm.es2017.min.js"></script>'
      : `    <!-- onnxruntime-web ${ORT_WEB_VERSION} (wasm build), vendored: the page needs no network -->\n    <script src="vendor/ort.wasm.min.js"></script>`
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta http-equiv="Content-Security-Policy" content="${csp}" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <link rel="icon" href="data:," />
    <title>${escapeHtml(title)}</title>
    <style>
      body { font: 15px/1.45 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
      #drop { display: block; border: 2px dashed #999; border-radius: 8px; padding: 2rem; text-align: center; cursor: pointer; }
      #drop.over { border-color: #2a6ad8; background: #eef4ff; }
      #file { position: absolute; left: -9999px; }
      #preview { max-width: 100%; max-height: 320px; display: block; margin: 1rem auto; }
      #label { display: block; font-size: 1.6rem; font-weight: 600; margin: 0.5rem 0; }
      li { list-style: none; display: grid; grid-template-columns: 10rem 1fr 4rem; gap: 0.5rem; align-items: center; }
      meter { width: 100%; }
      ul { padding: 0; }
    </style>
  </head>
  <body>
    <h1>${escapeHtml(title)}</h1>
    <p id="status" role="status">Loading the model…</p>
    <label id="drop" for="file">Drop an image here, or click to choose one</label>
    <input id="file" type="file" accept="image/*" />
    <img id="preview" alt="" hidden />
    <output id="label" aria-live="polite"></output>
    <ul id="probs" aria-label="Probabilities"></ul>
${runtime}
    <script src="classify.js"></script>
  </body>
</html>
`
}

export function classifyJs(format: ExportFormat): string {
  const load =
    format === 'tfjs'
      ? `async function loadModel() {
  // the wasm backend is the closest to the studio's numbers; otherwise tfjs's default (webgl or cpu)
  tf.wasm.setWasmPaths(new URL('vendor/', location.href).href)
  const wasm = await tf.setBackend('wasm').catch(() => false)
  await tf.ready()
  const model = await tf.loadLayersModel('model.json')
  return {
    backend: 'TF.js ' + tf.getBackend() + (wasm ? '' : ' (wasm unavailable)'),
    async run(input, h, w) {
      const out = tf.tidy(() => model.predict(tf.tensor4d(input, [1, h, w, 3])))
      const probs = await out.data()
      out.dispose()
      return probs
    }
  }
}`
      : `async function loadModel() {
  ort.env.wasm.wasmPaths = new URL('vendor/', location.href).href
  ort.env.wasm.numThreads = 1 // threads need a cross-origin isolated page
  const session = await ort.InferenceSession.create('model.onnx', { executionProviders: ['wasm'] })
  return {
    backend: 'onnxruntime-web ' + ort.env.versions.web,
    async run(input, h, w) {
      const result = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, [1, h, w, 3]) })
      return result[session.outputNames[0]].data
    }
  }
}`
  return `// Runs this Thaw Studio bundle in the browser: drop an image, see the label.
// Serve the folder over http (e.g. "npx http-server ."): browsers do not fetch() from file://.
'use strict'
const $ = (id) => document.getElementById(id)

${load}

// Browser decode: orientation from EXIF, alpha on white, then the bundle's resize on a canvas.
// The canvas resamples differently from the studio's decoder (sharp, lanczos3), so probabilities
// can differ from the studio's by a little; the label rarely does.
async function toInput(file, pre) {
  const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' })
  const w = pre.size.width
  const h = pre.size.height
  const canvas = document.createElement('canvas')
  canvas.width = w
  canvas.height = h
  const ctx = canvas.getContext('2d', { willReadFrequently: true })
  ctx.fillStyle = '#ffffff'
  ctx.fillRect(0, 0, w, h)
  ctx.imageSmoothingEnabled = true
  ctx.imageSmoothingQuality = 'high'
  let sx = 0
  let sy = 0
  let sw = bitmap.width
  let sh = bitmap.height
  if (pre.resize === 'center-crop') {
    const s = Math.min(sw / w, sh / h)
    sx = (sw - w * s) / 2
    sy = (sh - h * s) / 2
    sw = w * s
    sh = h * s
  }
  ctx.drawImage(bitmap, sx, sy, sw, sh, 0, 0, w, h)
  bitmap.close()
  const rgba = ctx.getImageData(0, 0, w, h).data
  const input = new Float32Array(w * h * 3)
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    input[j] = rgba[i]
    input[j + 1] = rgba[i + 1]
    input[j + 2] = rgba[i + 2]
  }
  return input
}

async function main() {
  const [labels, pre, model] = await Promise.all([
    fetch('labels.json').then((r) => r.json()),
    fetch('preprocessing.json').then((r) => r.json()),
    loadModel()
  ])
  $('status').textContent = 'Ready (' + model.backend + '). ' + labels.length + ' classes: ' + labels.join(', ') + '.'
  document.body.dataset.ready = 'true'

  async function classify(file) {
    if (!file || !file.type.startsWith('image/')) {
      $('status').textContent = 'That is not an image.'
      return
    }
    $('status').textContent = 'Classifying ' + file.name + '…'
    $('preview').src = URL.createObjectURL(file)
    $('preview').hidden = false
    try {
      const probs = await model.run(await toInput(file, pre), pre.size.height, pre.size.width)
      let best = 0
      for (let i = 1; i < probs.length; i++) if (probs[i] > probs[best]) best = i
      $('label').textContent = labels[best] + ' (' + (100 * probs[best]).toFixed(1) + '%)'
      $('label').dataset.label = labels[best]
      $('label').dataset.probs = JSON.stringify(Array.from(probs))
      $('probs').replaceChildren(
        ...labels.map((name, i) => {
          const li = document.createElement('li')
          const meter = document.createElement('meter')
          meter.value = probs[i]
          li.append(name, meter, (100 * probs[i]).toFixed(1) + '%')
          return li
        })
      )
      $('status').textContent = file.name
    } catch (err) {
      $('status').textContent = 'Could not classify ' + file.name + ': ' + err.message
    }
  }

  const drop = $('drop')
  drop.addEventListener('dragover', (e) => {
    e.preventDefault()
    drop.classList.add('over')
  })
  drop.addEventListener('dragleave', () => drop.classList.remove('over'))
  drop.addEventListener('drop', (e) => {
    e.preventDefault()
    drop.classList.remove('over')
    void classify(e.dataTransfer.files[0])
  })
  $('file').addEventListener('change', (e) => void classify(e.target.files[0]))
}

main().catch((err) => {
  $('status').textContent = 'Could not load the model: ' + err.message
})
`
}

export function bundlePackageJson(format: ExportFormat, name: string): string {
  const slug = name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '') || 'classifier'
  const runtime = format === 'tfjs' ? { '@tensorflow/tfjs': '4.22.0' } : { 'onnxruntime-node': '^1.30.0' }
  return `${JSON.stringify(
    {
      name: `${slug}-classifier`,
      version: '1.0.0',
      private: true,
      description: `Image classifier exported by Thaw Studio (${format}); see MODEL_CARD.md`,
      type: 'module',
      scripts: { predict: 'node predict.mjs' },
      dependencies: { ...runtime, sharp: '^0.35.0' },
      ...(format === 'tfjs' ? { optionalDependencies: { '@tensorflow/tfjs-backend-wasm': '4.22.0' } } : {})
    },
    null,
    2
  )}\n`
}
