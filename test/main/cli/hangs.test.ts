// #12 items 10-12: user paths on kernel pseudo-filesystems, FIFOs and endless files. Each command
// runs in a child process with a deadline: before the fixes these hung (init /proc/x, a plan that
// is a FIFO), aborted (--plan /dev/zero: std::bad_alloc after a minute) or walked /proc forever.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { Project } from '../../../src/main/project/project'
import { jsonError, runThaw, type ThawRun } from '../../helpers/runThaw'
import { HYMENOPTERA, tempDir } from '../../helpers/tmp'

const env = { THAW_CONFIG_DIR: tempDir('thaw-config-'), THAW_CACHE_DIR: tempDir('thaw-cache-') }
const thaw = (...args: string[]): Promise<ThawRun> => runThaw(args, { env })

/** exit 1 within the deadline, one error line, and the code on stdout (--json) */
function expectRefused(r: ThawRun, code: string, message: RegExp): void {
  expect(r.hung).toBe(false)
  expect(r.code).toBe(1)
  expect(jsonError(r)).toMatchObject({ code, message: expect.stringMatching(message) })
  expect(r.stderr.split('\n').filter((l) => l.startsWith('thaw: error:'))).toHaveLength(1)
}

let project: string
beforeAll(() => {
  project = path.join(tempDir(), 'p')
  Project.create(project).close()
})

describe.skipIf(process.platform !== 'linux')('pseudo-filesystems are refused up front', () => {
  it('init /proc/x, and a folder reached through a link into /proc', async () => {
    expectRefused(await thaw('init', '/proc/thaw-x', '--json'), 'PSEUDO_FS', /^the project folder \/proc\/thaw-x is in \/proc/)
    const dir = tempDir()
    fs.symlinkSync('/proc', path.join(dir, 'k'))
    expectRefused(await thaw('init', path.join(dir, 'k', 'new'), '--json'), 'PSEUDO_FS', /is in \/proc/)
    expectRefused(await thaw('status', '/sys/kernel', '--json'), 'PSEUDO_FS', /^the project folder \/sys\/kernel is in \/sys/)
  }, 120_000)

  it('import /proc, and an import whose class folder links to /proc is not walked into it', async () => {
    expectRefused(await thaw('import', project, '/proc', '--json'), 'PSEUDO_FS', /^the import folder \/proc is in \/proc/)

    const root = tempDir()
    for (const cls of ['ants', 'bees']) {
      fs.mkdirSync(path.join(root, cls))
      for (const name of fs.readdirSync(path.join(HYMENOPTERA, 'train', cls)).sort().slice(0, 2)) {
        fs.copyFileSync(path.join(HYMENOPTERA, 'train', cls, name), path.join(root, cls, name))
      }
    }
    fs.symlinkSync('/proc', path.join(root, 'ants', 'kernel'))
    fs.symlinkSync('/sys', path.join(root, 'sys'))
    const r = await thaw('import', project, root, '--json')
    expect(r.hung).toBe(false)
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout) as { imported: number; classes: Record<string, number>; skipped: { path: string; reason: string }[] }
    expect(report.imported).toBe(4)
    expect(report.classes).toEqual({ ants: 2, bees: 2 })
    // folders the scan passed over are "skipped" (the library's problems are files it holds)
    expect(report.skipped).toEqual([
      { path: path.join(root, 'ants', 'kernel'), reason: "skipped: ants/kernel is in /proc, the kernel's system interface, not images" },
      { path: path.join(root, 'sys'), reason: "skipped: sys is in /sys, the kernel's system interface, not images" }
    ])
  }, 180_000)

  it('export --out /proc/x, before anything else is looked at', async () => {
    expectRefused(await thaw('export', project, '--format', 'tfjs', '--out', '/proc/thaw-bundle', '--json'), 'PSEUDO_FS', /^the export folder \/proc\/thaw-bundle is in \/proc/)
  }, 120_000)
})

describe('plan files: regular, at most 1 MB', () => {
  it('--plan /dev/zero and a link to it', async () => {
    expectRefused(await thaw('train', project, '--plan', '/dev/zero', '--json'), 'PSEUDO_FS', /^--plan \/dev\/zero is in \/dev/)
    const link = path.join(tempDir(), 'plan.json')
    fs.symlinkSync('/dev/zero', link)
    expectRefused(await thaw('lr-find', project, '--plan', link, '--json'), 'PSEUDO_FS', /is in \/dev/)
  }, 120_000)

  it('--plan a FIFO', async () => {
    const fifo = path.join(tempDir(), 'plan.json')
    execFileSync('mkfifo', [fifo])
    expectRefused(await thaw('train', project, '--plan', fifo, '--json'), 'NOT_A_REGULAR_FILE', /^--plan .*plan\.json is a pipe \(FIFO\), not a regular file$/)
  }, 120_000)

  it('--plan a 2 MB file', async () => {
    const big = path.join(tempDir(), 'plan.json')
    fs.writeFileSync(big, `[${' '.repeat(2e6)}]`)
    expectRefused(await thaw('train', project, '--plan', big, '--json'), 'FILE_TOO_LARGE', /^--plan .*plan\.json is 2\.0 MB, over the limit of 1\.0 MB$/)
  }, 120_000)
})
