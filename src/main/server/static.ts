import fs from 'node:fs'
import path from 'node:path'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8'
}

/** Resolves a URL path inside the built renderer; null for anything outside it or missing. */
export function staticFile(root: string, urlPath: string): { file: string; type: string } | null {
  let rel: string
  try {
    rel = decodeURIComponent(urlPath)
  } catch {
    return null
  }
  if (rel === '/' || rel === '') rel = '/index.html'
  const file = path.resolve(root, `.${path.posix.normalize(rel)}`)
  if (file !== root && !file.startsWith(root + path.sep)) return null
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) return null
  return { file, type: TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream' }
}
