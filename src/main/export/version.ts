import fs from 'node:fs'
import path from 'node:path'

let cached: string | null = null

/** The studio's version, from its package.json: found by walking up, because this file runs from
 * src/ (tsx), from out/main (bundled) and from app.asar (packaged), each at another depth. */
export function studioVersion(): string {
  if (cached) return cached
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'thaw-studio' && pkg.version) return (cached = pkg.version)
    } catch {
      // no package.json here: keep walking up
    }
    if (path.dirname(dir) === dir) return (cached = 'unknown')
  }
}
