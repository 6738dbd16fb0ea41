// Quitting, electron stubbed: the studio is closed and awaited before the app quits, once; a
// running job is stopped only after the person agreed; a stuck close does not keep the app alive.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { JobKind } from '../../../src/shared/types'
import { app, dialog, fakeEvent, FakeWindow, resetElectron } from './electronStub'

vi.mock('electron', async () => await import('./electronStub'))
const { runningJobsSentence, setupQuit } = await import('../../../src/main/electron/quit')

function fakeStudio(jobs: { jobId: string; kind: JobKind }[] = []) {
  let release: () => void = () => undefined
  const studio = {
    running: jobs,
    closed: false,
    jobs: { active: () => studio.running },
    close: vi.fn(
      () =>
        new Promise<void>((resolve) => {
          release = () => {
            studio.closed = true
            resolve()
          }
        })
    ),
    finishClose: () => release()
  }
  return studio
}

/** app.quit() fires before-quit again, as Electron does; returns whether that one was let through */
function wireQuit(): { quits: () => number; lastLetThrough: () => boolean } {
  let last = false
  app.quit.mockImplementation(() => {
    const e = fakeEvent()
    app.emit('before-quit', e)
    last = !e.defaultPrevented
  })
  return { quits: () => app.quit.mock.calls.length, lastLetThrough: () => last }
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
}

beforeEach(() => {
  resetElectron()
  app.quit.mockReset()
  dialog.showMessageBox.mockReset()
})

describe('before-quit', () => {
  it('holds the quit until the studio has closed, then quits once', async () => {
    const studio = fakeStudio()
    const q = wireQuit()
    setupQuit(studio, { window: () => null })
    const e = fakeEvent()
    app.emit('before-quit', e)
    expect(e.preventDefault).toHaveBeenCalled()
    await flush()
    expect(studio.close).toHaveBeenCalledTimes(1)
    expect(q.quits()).toBe(0) // still closing
    studio.finishClose()
    await flush()
    expect(studio.closed).toBe(true)
    expect(q.quits()).toBe(1)
    expect(q.lastLetThrough()).toBe(true)
    expect(dialog.showMessageBox).not.toHaveBeenCalled()
  })

  it('a second quit while closing neither closes twice nor slips through', async () => {
    const studio = fakeStudio()
    const q = wireQuit()
    setupQuit(studio, { window: () => null })
    app.emit('before-quit', fakeEvent())
    await flush()
    const again = fakeEvent()
    app.emit('before-quit', again)
    expect(again.preventDefault).toHaveBeenCalled()
    studio.finishClose()
    await flush()
    expect(studio.close).toHaveBeenCalledTimes(1)
    expect(q.quits()).toBe(1)
  })

  it('asks before stopping a running job; Cancel keeps the app and the studio as they were', async () => {
    const studio = fakeStudio([{ jobId: 'j1', kind: 'train' }])
    const q = wireQuit()
    const win = new FakeWindow()
    dialog.showMessageBox.mockResolvedValueOnce({ response: 1 })
    setupQuit(studio, { window: () => win as never })
    app.emit('before-quit', fakeEvent())
    await flush()
    expect(dialog.showMessageBox).toHaveBeenCalledTimes(1)
    const [parent, options] = dialog.showMessageBox.mock.calls[0]! as [unknown, Electron.MessageBoxOptions]
    expect(parent).toBe(win)
    expect(options.message).toBe('A training run is running. Quit Thaw Studio and stop it?')
    expect(options.buttons).toEqual(['Quit', 'Cancel'])
    expect(options.cancelId).toBe(1)
    expect(studio.close).not.toHaveBeenCalled()
    expect(q.quits()).toBe(0)
  })

  it('Quit stops the job by closing the studio, awaited, then quits without asking again', async () => {
    const studio = fakeStudio([{ jobId: 'j1', kind: 'precompute' }])
    const q = wireQuit()
    const win = new FakeWindow()
    dialog.showMessageBox.mockResolvedValueOnce({ response: 0 })
    setupQuit(studio, { window: () => win as never })
    app.emit('before-quit', fakeEvent())
    await flush()
    expect(studio.close).toHaveBeenCalledTimes(1)
    expect(win.visible).toBe(false) // hidden while the studio closes under it
    studio.finishClose()
    await flush()
    expect(q.quits()).toBe(1)
    expect(q.lastLetThrough()).toBe(true)
    expect(dialog.showMessageBox).toHaveBeenCalledTimes(1)
  })

  it('one question however often quit is asked for while it is up', async () => {
    const studio = fakeStudio([{ jobId: 'j1', kind: 'train' }])
    let answer: (v: { response: number }) => void = () => undefined
    dialog.showMessageBox.mockImplementationOnce(() => new Promise((r) => (answer = r)))
    setupQuit(studio, { window: () => null })
    app.emit('before-quit', fakeEvent())
    app.emit('before-quit', fakeEvent())
    await flush()
    expect(dialog.showMessageBox).toHaveBeenCalledTimes(1)
    answer({ response: 1 })
    await flush()
    expect(studio.close).not.toHaveBeenCalled()
  })

  it('quits anyway when closing the studio fails or never ends, and says why', async () => {
    const failing = fakeStudio()
    failing.close.mockRejectedValueOnce(new Error('worker crashed'))
    const log = vi.fn()
    const q = wireQuit()
    setupQuit(failing, { window: () => null, log })
    app.emit('before-quit', fakeEvent())
    await flush()
    expect(q.quits()).toBe(1)
    expect(log).toHaveBeenCalledWith(expect.stringContaining('worker crashed'))

    resetElectron()
    app.quit.mockReset()
    const stuck = fakeStudio() // close() never resolves
    const q2 = wireQuit()
    setupQuit(stuck, { window: () => null, log, timeoutMs: 5 })
    app.emit('before-quit', fakeEvent())
    await vi.waitFor(() => expect(q2.quits()).toBe(1))
    expect(log).toHaveBeenLastCalledWith(expect.stringContaining('did not close'))
  })
})

describe('closing the window', () => {
  it('closes at once with no job running (the quit that follows closes the studio)', () => {
    const studio = fakeStudio()
    const win = new FakeWindow()
    setupQuit(studio, { window: () => win as never }).guardWindow(win as never)
    win.close()
    expect(win.destroyed).toBe(true)
    expect(dialog.showMessageBox).not.toHaveBeenCalled()
  })

  it('with a job running, stays open until the person agrees, then closes', async () => {
    const studio = fakeStudio([{ jobId: 'j1', kind: 'export' }])
    const win = new FakeWindow()
    dialog.showMessageBox.mockResolvedValueOnce({ response: 1 }).mockResolvedValueOnce({ response: 0 })
    const q = wireQuit()
    setupQuit(studio, { window: () => win as never }).guardWindow(win as never)
    win.close()
    await flush()
    expect(win.destroyed).toBe(false) // Cancel
    win.close()
    await flush()
    expect(win.destroyed).toBe(true) // Quit
    expect(dialog.showMessageBox).toHaveBeenCalledTimes(2)
    // the app's quit after its last window closed does not ask a third time
    app.emit('before-quit', fakeEvent())
    await flush()
    expect(dialog.showMessageBox).toHaveBeenCalledTimes(2)
    expect(studio.close).toHaveBeenCalledTimes(1)
    studio.finishClose()
    await flush()
    expect(q.quits()).toBe(1)
  })
})

describe('runningJobsSentence', () => {
  it('names the jobs in words, once each', () => {
    expect(runningJobsSentence(['train'])).toBe('A training run is running')
    expect(runningJobsSentence(['import', 'import'])).toBe('An import is running')
    expect(runningJobsSentence(['precompute', 'export', 'lr-find'])).toBe('A precompute, a model export and a learning-rate sweep are running')
  })
})
