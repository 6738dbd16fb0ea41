// Runs a bundle's own predict.mjs as a deployer would, with this repo's packages standing in for
// `npm install` (a link to node_modules, removed after), from a folder outside the bundle.
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { REPO_ROOT } from '../../helpers/runThaw'
import { tempDir } from '../../helpers/tmp'

const run = promisify(execFile)

export async function runPredictMjs(dir: string, images: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'))
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(dir, 'predict.mjs'), ...images, '--json'], { cwd: tempDir(), timeout: 120_000 })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  } finally {
    fs.unlinkSync(path.join(dir, 'node_modules'))
  }
}
