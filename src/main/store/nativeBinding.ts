// Which compiled better-sqlite3 addon this process loads. One checkout runs the CLI and the tests
// under Node and the app under Electron, whose ABIs differ (Node 20: NODE_MODULE_VERSION 115,
// Electron 40: 143), so it keeps two builds: node_modules/better-sqlite3's own (built by
// `npm install` for Node) and a second one for Electron, prepared once by `npm start` into
// node_modules/.cache (scripts/lib/electronNative.ts), passed to better-sqlite3's `nativeBinding`
// option. A packaged app needs neither: electron-builder rebuilt the addon in place for Electron.
import fs from 'node:fs'
import path from 'node:path'
import { ThawError } from '../errors'

export interface BindingInputs {
  /** process.versions */
  versions: { electron?: string | undefined; node: string }
  platform: string
  arch: string
  /** node_modules/better-sqlite3, as resolved from here */
  packageDir: string
  /** better-sqlite3's version (its package.json) */
  packageVersion: string
  /** THAW_SQLITE_BINDING: an explicit addon, for setups this logic does not know */
  override?: string | undefined
  exists: (file: string) => boolean
}

/** Where `npm start` puts the Electron build of better-sqlite3 for this checkout. */
export function electronBindingPath(o: { packageDir: string; packageVersion: string; electron: string; platform: string; arch: string }): string {
  const nodeModules = path.dirname(o.packageDir)
  const key = `better-sqlite3-${o.packageVersion}-electron-${o.electron}-${o.platform}-${o.arch}`
  return path.join(nodeModules, '.cache', 'thaw-studio', 'native', key, 'better_sqlite3.node')
}

/** The addon to pass as `nativeBinding`, or null for better-sqlite3's own lookup. */
export function selectBinding(i: BindingInputs): string | null {
  if (i.override) {
    if (!i.exists(i.override)) throw new ThawError('NATIVE_MODULE', `THAW_SQLITE_BINDING names ${i.override}, which does not exist`)
    return i.override
  }
  const electron = i.versions.electron
  if (!electron) return null // Node: the build `npm install` made
  // inside a packaged app the modules come from app.asar(.unpacked), rebuilt for Electron by electron-builder
  if (i.packageDir.split(/[\\/]/).some((part) => part.endsWith('.asar'))) return null
  const file = electronBindingPath({ packageDir: i.packageDir, packageVersion: i.packageVersion, electron, platform: i.platform, arch: i.arch })
  if (!i.exists(file)) {
    throw new ThawError(
      'NATIVE_MODULE',
      `better-sqlite3 has no build for Electron ${electron} in this checkout (${file}): start the app with "npm start", which prepares it once`
    )
  }
  return file
}

let selected: { override: string | undefined; binding: string | null } | null = null

/** The selection for this process (computed once, again only if THAW_SQLITE_BINDING changes). */
export function sqliteBinding(): string | null {
  if (!selected || selected.override !== process.env.THAW_SQLITE_BINDING) {
    const packageJson = require.resolve('better-sqlite3/package.json')
    const { version } = JSON.parse(fs.readFileSync(packageJson, 'utf8')) as { version: string }
    selected = {
      override: process.env.THAW_SQLITE_BINDING,
      binding: selectBinding({
        versions: process.versions,
        platform: process.platform,
        arch: process.arch,
        packageDir: path.dirname(packageJson),
        packageVersion: version,
        override: process.env.THAW_SQLITE_BINDING,
        exists: (f) => fs.existsSync(f)
      })
    }
  }
  return selected.binding
}
