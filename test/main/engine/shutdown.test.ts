// Closing the studio while an engine worker runs ONNX Runtime must end the process normally.
// Terminating a worker thread with a session run in flight aborts the whole process
// ("terminate called after throwing an instance of 'Napi::Error'", exit 134): the CLI, the server
// or Electron's main process would die with it. The pool asks the worker to stop instead.
import { spawn } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { isolatedEnv, smallHymenoptera } from '../../helpers/dataset'
import { tempDir } from '../../helpers/tmp'

isolatedEnv()

function run(script: string, args: string[]): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

describe('closing the studio while ONNX Runtime runs in a worker', () => {
  const images = smallHymenoptera(40, 10)
  // how long after the first batch the studio closes: both land inside a session run on this
  // machine more often than not (without the graceful close, each aborted here)
  it.each([100, 250])('cancels the job and lets the process exit normally (closed %i ms into the run)', async (delayMs) => {
    const project = path.join(tempDir(), 'p')
    const r = await run(path.join(__dirname, 'fixtures/closeMidRun.ts'), [project, images, String(delayMs)])
    expect(r.stderr).not.toMatch(/terminate called|Aborted|FATAL/)
    expect({ code: r.code, signal: r.signal }).toEqual({ code: 0, signal: null })
    expect(r.stdout).toMatch(/^closed \(mid-run\): .*cancelled/m)
  })
})
