import { describe, expect, it } from 'vitest'
import { Jobs } from '../../../src/main/jobs/jobs'
import type { JobFinished, JobProgress } from '../../../src/shared/types'

function jobsWithLog() {
  const progress: JobProgress[] = []
  const finished: JobFinished[] = []
  const jobs = new Jobs({ progress: (p) => progress.push(p), finished: (f) => finished.push(f) }, Date.now, 0)
  return { jobs, progress, finished }
}

describe('Jobs', () => {
  it('reports progress and a finished event', async () => {
    const { jobs, progress, finished } = jobsWithLog()
    const result = await jobs.run('import', async (job) => {
      job.progress(1, 2)
      job.progress(2, 2)
      return 42
    })
    expect(result).toBe(42)
    expect(progress.map((p) => p.done)).toEqual([1, 2])
    expect(finished).toEqual([expect.objectContaining({ kind: 'import', ok: true, cancelled: false })])
    expect(jobs.active()).toEqual([])
  })

  it('cancels through the signal and reports it', async () => {
    const { jobs, finished } = jobsWithLog()
    let id = ''
    const run = jobs.run('import', async (job) => {
      id = job.id
      await new Promise((r) => setTimeout(r, 20))
      job.throwIfCancelled()
      return 1
    })
    expect(jobs.cancel(id)).toBe(true)
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(finished[0]).toMatchObject({ ok: false, cancelled: true })
  })

  it('refuses a second job of the same kind while one runs', async () => {
    const { jobs } = jobsWithLog()
    let release = (): void => undefined
    const first = jobs.run('import', () => new Promise<void>((r) => (release = r)))
    await expect(jobs.run('import', async () => 1)).rejects.toMatchObject({ code: 'BUSY' })
    release()
    await first
    await expect(jobs.run('import', async () => 2)).resolves.toBe(2)
  })

  it('reports a failure with its message', async () => {
    const { jobs, finished } = jobsWithLog()
    await expect(jobs.run('import', async () => Promise.reject(new Error('disk full')))).rejects.toThrow('disk full')
    expect(finished[0]).toMatchObject({ ok: false, cancelled: false, error: 'disk full' })
  })
})
