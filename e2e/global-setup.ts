// Starts `bin/thaw serve` (browser mode) with its own config folder, so the tests never see the
// user's recent projects, and passes the URL with its token to the tests through the environment.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const repoRoot = path.resolve(__dirname, '..')

export default async function globalSetup(): Promise<() => Promise<void>> {
  if (!fs.existsSync(path.join(repoRoot, 'out/renderer/index.html'))) {
    throw new Error('out/renderer is not built: run "npm run build" (npm test does it) before the e2e tests')
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'thaw-e2e-'))
  const configDir = path.join(work, 'config')
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin/thaw'), 'serve', '--port', '0'], {
    cwd: repoRoot,
    // backbones come from the shared mirror: nothing can be downloaded here (training tests need one)
    env: { ...process.env, THAW_CONFIG_DIR: configDir, THAW_MODEL_MIRROR: process.env.THAW_MODEL_MIRROR ?? path.resolve(repoRoot, '../shared/backbones') },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const url = await serverUrl(child)
  process.env.THAW_E2E_URL = url
  process.env.THAW_E2E_WORK = work
  process.env.THAW_CONFIG_DIR = configDir
  return async () => {
    await stop(child)
    fs.rmSync(work, { recursive: true, force: true })
  }
}

function serverUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => reject(new Error(`thaw serve did not start in 30 s:\n${output}`)), 30_000)
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      const match = /(http:\/\/\S+\?token=\w+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    }
    child.stderr?.on('data', onData)
    child.stdout?.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`thaw serve exited with ${code}:\n${output}`))
    })
  })
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000)
    child.once('exit', () => {
      clearTimeout(kill)
      resolve()
    })
    child.kill('SIGTERM')
  })
}
