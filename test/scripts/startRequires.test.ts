// The thread-boundary check on the built bundle, on small hand-made bundles shaped like
// electron-vite's output (rollup CommonJS: shared chunks, lazy import() as a require in a closure).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { checkBoundary, reachedFrom, requiresOf } from '../../scripts/lib/startRequires'

let dir = ""
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
  dir = ""
})

function bundle(files: Record<string, string>): string {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'thaw-bundle-'))
  for (const [name, code] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    fs.writeFileSync(path.join(dir, name), code)
  }
  return dir
}

const LAZY_SHARP = `function loadSharp() { return Promise.resolve().then(() => /* @__PURE__ */ _interopNamespaceDefault(require("sharp"))) }\nexports.loadSharp = loadSharp\n`
const CLEAN = {
  'index.js': `"use strict";\nconst electron = require("electron");\nconst media = require("./chunks/media-1.js");\nelectron.app.whenReady().then(() => media.start());\n`,
  'cli.js': `#!/usr/bin/env node\n"use strict";\nconst commander = require("commander");\nrequire("./chunks/media-1.js");\n`,
  'worker.js': `"use strict";\nconst tf = require("@tensorflow/tfjs");\nasync function ort() { return await import("onnxruntime-node") }\n`,
  'chunks/media-1.js': `"use strict";\nconst Database = require("better-sqlite3");\nconst d = require("./decode-2.js");\n`,
  'chunks/decode-2.js': LAZY_SHARP
}

describe('requiresOf', () => {
  it('tells start-time requires from lazy ones', () => {
    const code = `const a = require("a");\nfunction f() { return require("b") }\nconst g = () => require("c");\n(function () { require("d") })();\nclass K { m() { require("e") } }\nimport("f");\nconst h = x ? require("h") : null;\n`
    expect(requiresOf(code)).toEqual([
      { module: 'a', atStart: true },
      { module: 'b', atStart: false },
      { module: 'c', atStart: false },
      { module: 'd', atStart: true },
      { module: 'e', atStart: false },
      { module: 'f', atStart: false },
      { module: 'h', atStart: true }
    ])
  })
})

describe('checkBoundary', () => {
  it('passes a bundle that keeps the boundary', () => {
    expect(checkBoundary(bundle(CLEAN))).toEqual([])
  })

  it('follows start-time chunks and names the chain', () => {
    const out = bundle({ ...CLEAN, 'chunks/decode-2.js': `"use strict";\nconst tf = require("@tensorflow/tfjs");\nconst sharp = require("sharp");\n` })
    const v = checkBoundary(out)
    expect(v.map((x) => `${x.entry}: ${x.chain.join(' -> ')} -> ${x.module}`)).toEqual([
      'index.js: index.js -> chunks/media-1.js -> chunks/decode-2.js -> @tensorflow/tfjs',
      'index.js: index.js -> chunks/media-1.js -> chunks/decode-2.js -> sharp',
      'cli.js: cli.js -> chunks/media-1.js -> chunks/decode-2.js -> @tensorflow/tfjs',
      'cli.js: cli.js -> chunks/media-1.js -> chunks/decode-2.js -> sharp'
    ])
    expect(v[0]!.why).toContain('at start')
  })

  it('refuses TF.js and onnxruntime on the main thread even lazily, and in a lazily loaded chunk', () => {
    const out = bundle({
      ...CLEAN,
      'cli.js': `"use strict";\nrequire("./chunks/media-1.js");\nasync function run() { const ort = await Promise.resolve().then(() => require("onnxruntime-node")); const c = await Promise.resolve().then(() => require("./chunks/train-3.js")) }\n`,
      'chunks/train-3.js': `"use strict";\nconst tf = require("@tensorflow/tfjs-core/dist/x");\n`
    })
    expect(checkBoundary(out).map((x) => [x.entry, x.module])).toEqual([
      ['cli.js', 'onnxruntime-node'],
      ['cli.js', '@tensorflow/tfjs-core/dist/x']
    ])
  })

  it('refuses onnxruntime-node at a worker start, allows it lazily', () => {
    const out = bundle({ ...CLEAN, 'worker.js': `"use strict";\nconst tf = require("@tensorflow/tfjs");\nconst ort = require("onnxruntime-node");\n` })
    const v = checkBoundary(out)
    expect(v).toHaveLength(1)
    expect(v[0]).toMatchObject({ entry: 'worker.js', module: 'onnxruntime-node' })
  })

  it('visits a chunk reached both lazily and at start as a start-time one', () => {
    const out = bundle({
      'a.js': `function later() { return require("./chunks/x.js") }\nrequire("./chunks/y.js")\n`,
      'chunks/y.js': `require("./x.js")\n`,
      'chunks/x.js': `require("sharp")\n`
    })
    const sharp = reachedFrom(path.join(out, 'a.js')).filter((r) => r.module === 'sharp')
    expect(sharp.some((r) => r.atStart)).toBe(true)
  })
})
