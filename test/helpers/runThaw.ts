// Runs bin/thaw in a child process with a hard stop, so a command that hangs fails its test
// instead of hanging CI: the child is killed and `hung` says so.
import { spawn } from 'node:child_process'
import path from 'node:path'

export const REPO_ROOT = path.resolve(__dirname, '../..')

export interface ThawRun {
  code: number | null
  stdout: string
  stderr: string
  /** killed at the deadline: the command hung */
  hung: boolean
}

export function runThaw(args: string[], opts: { deadlineMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<ThawRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/thaw'), ...args], {
      cwd: opts.cwd ?? REPO_ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    let hung = false
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => {
      hung = true
      child.kill('SIGKILL')
    }, opts.deadlineMs ?? 90_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, hung })
    })
  })
}

/** The `error` object that --json prints on stdout when a command fails. */
export function jsonError(run: ThawRun): { code: string; message: string } | undefined {
  try {
    return (JSON.parse(run.stdout) as { error?: { code: string; message: string } }).error
  } catch {
    return undefined
  }
}
