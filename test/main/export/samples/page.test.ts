import { createRequire } from 'node:module'
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { indexHtml, ORT_VENDOR, ORT_WEB_VERSION } from '../../../../src/main/export/samples/page'

const require = createRequire(import.meta.url)
const repoRoot = path.resolve(__dirname, '../../../..')
const version = (pkg: string): string => (JSON.parse(fs.readFileSync(path.join(repoRoot, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version

describe('the ONNX page runtime', () => {
  it('is onnxruntime-web pinned to the onnxruntime-node the studio checks bundles with', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
    expect(pkg.dependencies['onnxruntime-web']).toBe(ORT_WEB_VERSION)
    expect(version('onnxruntime-web')).toBe(ORT_WEB_VERSION)
    expect(version('onnxruntime-node')).toBe(ORT_WEB_VERSION)
  })

  it('vendors files that exist where the export copies them from', () => {
    for (const v of ORT_VENDOR) {
      const src = path.join(path.dirname(require.resolve(v.pkg)), path.basename(v.file))
      expect(fs.statSync(src).size, src).toBeGreaterThan(1000)
    }
  })

  it('loads nothing from another origin, under a CSP of the page itself', () => {
    for (const format of ['tfjs', 'onnx'] as const) {
      const html = indexHtml(format, 'x')
      expect(html).not.toMatch(/https?:\/\//)
      expect(html).toContain("script-src 'self' 'wasm-unsafe-eval';")
    }
    expect(indexHtml('onnx', 'x')).toContain('<script src="vendor/ort.wasm.min.js"></script>')
  })
})
