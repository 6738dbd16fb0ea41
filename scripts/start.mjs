// `npm start`: the desktop app where the Electron binary exists; otherwise browser mode, said in
// one line. Builds first so a fresh checkout runs with no other step.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { prepareElectronNative } from './electron-native.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const args = process.argv.slice(2)

function electronBinary() {
  try {
    const bin = require('electron') // the package exports the binary's path, or throws if it was never downloaded
    return typeof bin === 'string' && fs.existsSync(bin) ? bin : null
  } catch {
    return null
  }
}

// the window icon (resources/icons/, rendered from resources/icon.svg; quick when up to date)
const icons = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/icons.ts')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] })
if (icons.status !== 0) process.exit(icons.status ?? 1)
const build = spawnSync(process.execPath, [path.join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build', '--logLevel', 'error'], {
  cwd: root,
  stdio: ['ignore', 'ignore', 'inherit']
})
if (build.status !== 0) process.exit(build.status ?? 1)

const electron = electronBinary()
if (electron) {
  // the app loads a second better-sqlite3 build, for Electron's ABI (scripts/electron-native.mjs)
  const version = JSON.parse(fs.readFileSync(path.join(root, 'node_modules/electron/package.json'), 'utf8')).version
  const failed = prepareElectronNative(root, version, electron, (m) => require.resolve(m))
  if (failed) {
    console.error(failed)
    process.exit(1)
  }
}
const child = electron
  ? spawn(electron, ['.', ...args], { cwd: root, stdio: 'inherit' })
  : (console.log('Electron binary not installed here: starting Thaw Studio in browser mode instead.'),
    spawn(process.execPath, [path.join(root, 'bin/thaw'), 'serve', ...args], { cwd: root, stdio: 'inherit' }))
child.on('exit', (code) => process.exit(code ?? 0))
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig))
