// Prepares the second build of better-sqlite3, for Electron's ABI, that the app loads through
// better-sqlite3's `nativeBinding` option (src/main/store/nativeBinding.ts, same path). Node's
// own build in node_modules/better-sqlite3 stays as it is, so the CLI and the tests keep working
// in the same checkout. First try: prebuild-install --runtime electron (a download of the
// project's published prebuild); then: @electron/rebuild, in a scratch copy of the package (needs
// the Electron headers download and a C++ toolchain). `nodedir` (~/.npmrc) is removed from the
// environment: with it, node-gyp silently compiles against Node's headers (TOOLCHAIN.md).
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/** Same layout as electronBindingPath() in src/main/store/nativeBinding.ts. */
export function electronBindingPath(root, electron) {
  const pkgDir = path.join(root, 'node_modules/better-sqlite3')
  const { version } = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'))
  const key = `better-sqlite3-${version}-electron-${electron}-${process.platform}-${process.arch}`
  return path.join(root, 'node_modules', '.cache', 'thaw-studio', 'native', key, 'better_sqlite3.node')
}

const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => k.toLowerCase() !== 'npm_config_nodedir'))

function scratchPackage(root) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'thaw-native-'))
  const pkg = path.join(dir, 'node_modules/better-sqlite3')
  fs.cpSync(path.join(root, 'node_modules/better-sqlite3'), pkg, { recursive: true, filter: (src) => !src.includes(`${path.sep}build${path.sep}`) && !src.endsWith(`${path.sep}build`) })
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'scratch', version: '0.0.0', dependencies: { 'better-sqlite3': '*' } }))
  return { dir, pkg }
}

function tryPrebuild(root, electron) {
  const { dir, pkg } = scratchPackage(root)
  const bin = path.join(root, 'node_modules/prebuild-install/bin.js')
  const r = spawnSync(process.execPath, [bin, '--runtime', 'electron', '--target', electron, '--arch', process.arch, '--platform', process.platform, '--verbose'], {
    cwd: pkg,
    env: cleanEnv(),
    encoding: 'utf8'
  })
  const built = path.join(pkg, 'build/Release/better_sqlite3.node')
  return { ok: r.status === 0 && fs.existsSync(built), built, dir, why: lastLine(r.stderr || r.stdout) || `exit ${r.status}` }
}

function tryRebuild(root, electron) {
  const { dir, pkg } = scratchPackage(root)
  const cli = path.join(root, 'node_modules/@electron/rebuild/lib/cli.js')
  const r = spawnSync(process.execPath, [cli, '--version', electron, '--module-dir', dir, '--only', 'better-sqlite3', '--force'], { cwd: dir, env: cleanEnv(), encoding: 'utf8' })
  const built = path.join(pkg, 'build/Release/better_sqlite3.node')
  return { ok: r.status === 0 && fs.existsSync(built), built, dir, why: lastLine(r.stderr || r.stdout) || `exit ${r.status}` }
}

const lastLine = (s) => {
  const lines = (s ?? '').trim().split('\n').map((l) => l.trim()).filter(Boolean)
  return lines.find((l) => /ENOTFOUND|ERR!|Error:/.test(l)) ?? lines.pop() ?? ''
}

/** Loads the build with the Electron binary itself (as Node) and runs one query. */
function verify(electronBin, file) {
  const code = `const D=require(${JSON.stringify(require_('better-sqlite3'))});const d=new D(':memory:',{nativeBinding:${JSON.stringify(file)}});d.prepare('select 1').get();`
  const r = spawnSync(electronBin, ['-e', code], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, encoding: 'utf8' })
  return r.status === 0 ? null : lastLine(r.stderr) || `exit ${r.status}`
}
let require_ = (m) => m

/**
 * Makes sure the Electron build exists (and loads, when the binary is given). Returns a message
 * for the user on failure, null on success. Says in one line what it prepares, the first time only.
 */
export function prepareElectronNative(root, electron, electronBin, resolve) {
  if (resolve) require_ = resolve
  const target = electronBindingPath(root, electron)
  if (fs.existsSync(target) && (!electronBin || verify(electronBin, target) === null)) return null
  console.log(`npm start: preparing better-sqlite3 for Electron ${electron} (first start only) in ${path.relative(root, path.dirname(target))}`)
  const tries = []
  for (const [how, attempt] of [['prebuild-install --runtime electron', tryPrebuild], ['@electron/rebuild', tryRebuild]]) {
    const r = attempt(root, electron)
    if (r.ok) {
      const bad = electronBin ? verify(electronBin, r.built) : null
      if (!bad) {
        fs.mkdirSync(path.dirname(target), { recursive: true })
        fs.copyFileSync(r.built, target)
        fs.rmSync(r.dir, { recursive: true, force: true })
        return null
      }
      tries.push(`${how}: built, but Electron cannot load it (${bad})`)
    } else {
      tries.push(`${how}: ${r.why}`)
    }
    fs.rmSync(r.dir, { recursive: true, force: true })
  }
  return (
    `npm start: could not prepare better-sqlite3 for Electron ${electron}.\n` +
    tries.map((t) => `  - ${t}`).join('\n') +
    '\n  The prebuilt addon is downloaded from GitHub and a source build needs the Electron headers (a download) and a C++ toolchain' +
    '\n  (python3, make, a C++ compiler; on Windows the Visual Studio C++ tools). Connect to the internet or install the toolchain, then run "npm start" again.' +
    '\n  The CLI and browser mode need none of this: "bin/thaw serve <project>".'
  )
}
