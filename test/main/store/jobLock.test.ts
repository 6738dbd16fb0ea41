// One writer job per project across processes (issue #12 item 15): a second writer gets "busy:
// <job> since <time> (pid N)" or waits with --wait; a dead holder frees the lock; readers never
// block.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Project } from '../../../src/main/project/project'
import { lockHolder, lockProject, tryLock } from '../../../src/main/store/jobLock'
import { tempDir } from '../../helpers/tmp'

const ROOT = path.resolve(__dirname, '../../..')
const THAW = path.join(ROOT, 'bin/thaw')

/** Another process that takes the project's lock for `job` and holds it until killed. */
function holder(dir: string, job: string): Promise<ChildProcess> {
  const code = `
    require('tsx/cjs')
    const { Project } = require('./src/main/project/project.ts')
    const { lockProject } = require('./src/main/store/jobLock.ts')
    const p = Project.open(${JSON.stringify(dir)})
    lockProject(p.db, ${JSON.stringify(job)}).then(() => { process.stdout.write('locked\\n'); setInterval(() => {}, 1000) })`
  const child = spawn(process.execPath, ['-e', code], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(child)
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolve(child))
    child.on('exit', (c) => reject(new Error(`holder exited ${c}`)))
  })
}

const children: ChildProcess[] = []
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL')
})

const exited = (c: ChildProcess): Promise<void> => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())))

describe('the project-wide writer lock', () => {
  it('a second process gets busy with the holder\'s job, time and pid; --wait waits; a killed holder frees it', async () => {
    const dir = path.join(tempDir(), 'p')
    Project.create(dir).close()
    const other = await holder(dir, 'train')
    const p = Project.open(dir)
    const got = tryLock(p.db, 'import')
    expect(got).toMatchObject({ holder: { pid: other.pid, job: 'train' } })
    await expect(lockProject(p.db, 'import')).rejects.toMatchObject({
      code: 'BUSY',
      message: expect.stringMatching(new RegExp(`^busy: train since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\(pid ${other.pid}\\)`))
    })
    expect(lockHolder(p.db)).toMatchObject({ pid: other.pid, job: 'train' })

    // waiting: the lock comes free when the holder dies (SIGKILL: it never released it)
    const waits: number[] = []
    const waiting = lockProject(p.db, 'import', { wait: true, pollMs: 50, onWait: (h) => waits.push(h.pid) })
    await new Promise((r) => setTimeout(r, 200))
    other.kill('SIGKILL')
    await exited(other)
    const release = await waiting
    expect(waits[0]).toBe(other.pid)
    expect(lockHolder(p.db)).toMatchObject({ pid: process.pid, job: 'import' })
    release()
    expect(lockHolder(p.db)).toBeNull()
    p.close()
  })

  it('jobs of one process share it and it is free once the last ends', () => {
    const dir = path.join(tempDir(), 'p')
    const p = Project.create(dir)
    const a = tryLock(p.db, 'train')
    const b = tryLock(p.db, 'import')
    if (!('release' in a) || !('release' in b)) throw new Error('expected both to get the lock')
    a.release()
    expect(lockHolder(p.db)).toMatchObject({ job: 'train', count: 1 })
    b.release()
    expect(lockHolder(p.db)).toBeNull()
    p.close()
  })

  it('on the command line: a second writer is refused with busy, a reader is not blocked', async () => {
    const dir = path.join(tempDir(), 'p')
    Project.create(dir).close()
    const other = await holder(dir, 'precompute')
    const imp = spawnSync(process.execPath, [THAW, 'import', dir, tempDir(), '--json'], { encoding: 'utf8', timeout: 60_000 })
    expect(imp.status).toBe(1)
    expect(JSON.parse(imp.stdout)).toMatchObject({ error: { code: 'BUSY', message: expect.stringMatching(new RegExp(`^busy: precompute since .* \\(pid ${other.pid}\\)`)) } })
    const status = spawnSync(process.execPath, [THAW, 'status', dir, '--json'], { encoding: 'utf8', timeout: 60_000 })
    expect(status.status).toBe(0)
    expect(JSON.parse(status.stdout)).toMatchObject({ images: 0 })
  })
})
