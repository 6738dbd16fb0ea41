// `npm run dist [-- <electron-builder options>]`: build, then package with electron-builder
// (electron-builder.yml), minding the two traps of TOOLCHAIN.md:
// - `nodedir` from ~/.npmrc makes @electron/rebuild compile better-sqlite3 against Node's headers
//   (it reports success, the addon has the wrong ABI): it is removed from the environment, and
//   electron-builder runs directly, not through npx (which would read ~/.npmrc again);
// - where the Electron headers cannot be downloaded, the rebuild fails and deletes
//   node_modules/better-sqlite3/build: said plainly, with the fix.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.toLowerCase() !== 'npm_config_nodedir'))
const addon = path.join(root, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node')

function run(script, args) {
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules', script), ...args], { cwd: root, env, stdio: 'inherit' })
  return r.status ?? 1
}

// the icons electron-builder.yml names are rendered from resources/icon.svg (scripts/icons.ts)
const icons = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/icons.ts')], { cwd: root, env, stdio: 'inherit' })
if (icons.status !== 0) process.exit(icons.status ?? 1)
const built = run('electron-vite/bin/electron-vite.js', ['build'])
if (built !== 0) process.exit(built)
const status = run('electron-builder/cli.js', process.argv.slice(2))
if (!fs.existsSync(addon)) {
  console.error('dist: the native rebuild removed better-sqlite3\'s addon (no Electron headers?); restore it with "npm rebuild better-sqlite3"')
} else if (status === 0 && !process.argv.includes('-c.npmRebuild=false')) {
  console.error('dist: node_modules/better-sqlite3 is now built for Electron; run "npm rebuild better-sqlite3" before "npm test"')
}
process.exit(status)
