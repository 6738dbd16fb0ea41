// Browser mode's server in a child process of its own, so a test sees what a user would: an
// unhandled error ends that process (in-process, vitest would catch it and the server would live on).
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { tempDir } from './tmp'

export interface ServerProcess {
  port: number
  token: string
  child: ChildProcess
  /** whether the process is still running */
  alive(): boolean
  stderr(): string
  stop(): Promise<void>
}

const MAIN = path.join(__dirname, 'serverMain.ts')

export function startServerProcess(token = 't0k3n', env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  const renderer = tempDir()
  fs.writeFileSync(path.join(renderer, 'index.html'), '<html>studio</html>')
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, renderer, token], {
    env: { ...process.env, THAW_CONFIG_DIR: tempDir('thaw-config-'), ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let err = ''
  let exited = false
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  child.on('exit', () => (exited = true))
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /^port (\d+)$/m.exec(out)
      if (m) {
        resolve({
          port: Number(m[1]),
          token,
          child,
          alive: () => !exited,
          stderr: () => err,
          stop: () =>
            new Promise<void>((done) => {
              if (exited) return done()
              child.once('exit', () => done())
              child.kill('SIGTERM')
            })
        })
      }
    })
    child.once('exit', (code) => reject(new Error(`the server process exited with ${code}: ${err}`)))
  })
}
