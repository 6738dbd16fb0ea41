// Projects the OS hands to the app (macOS open-file, a second launch's command line), electron
// stubbed, against real folders.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ThawError } from '../../../src/main/errors'
import { app, dialog, fakeEvent, FakeWindow, resetElectron } from './electronStub'

vi.mock('electron', async () => await import('./electronStub'))
const { FolderInbox, handOver, isProjectFolder, openFromOs, projectFromArgs, setupOsOpen } = await import('../../../src/main/electron/osOpen')

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'thaw-osopen-'))
const project = path.join(tmp, 'bees project')
fs.mkdirSync(project)
fs.writeFileSync(path.join(project, 'thaw.sqlite'), '')
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }))

const EXE = '/opt/Thaw Studio/thaw-studio'

describe('projectFromArgs', () => {
  it('a packaged app: the folder after the executable', () => {
    expect(projectFromArgs([EXE, project], { cwd: '/', defaultApp: false })).toBe(project)
  })

  it("development (electron .): the app's own folder is not a project", () => {
    expect(projectFromArgs(['/x/electron', '.', project], { cwd: tmp, defaultApp: true })).toBe(project)
    expect(projectFromArgs(['/x/electron', '.'], { cwd: tmp, defaultApp: true })).toBeNull()
  })

  it("skips Chromium's and macOS's switches wherever they are", () => {
    const argv = [EXE, '--allow-file-access-from-files', project, '--original-process-start-time=1337', '-psn_0_4711']
    expect(projectFromArgs(argv, { cwd: '/', defaultApp: false })).toBe(project)
  })

  it('resolves a relative folder against the launching shell, and takes thaw.sqlite for its folder', () => {
    expect(projectFromArgs([EXE, 'bees project'], { cwd: tmp, defaultApp: false })).toBe(project)
    expect(projectFromArgs([EXE, path.join(project, 'thaw.sqlite')], { cwd: '/', defaultApp: false })).toBe(project)
  })

  it('nothing to open: no argument, a path that is not there, an ordinary file', () => {
    fs.writeFileSync(path.join(tmp, 'photo.jpg'), '')
    expect(projectFromArgs([EXE], { cwd: '/', defaultApp: false })).toBeNull()
    expect(projectFromArgs([EXE, path.join(tmp, 'missing')], { cwd: '/', defaultApp: false })).toBeNull()
    expect(projectFromArgs([EXE, path.join(tmp, 'photo.jpg')], { cwd: '/', defaultApp: false })).toBeNull()
  })

  it('with several, the last one that exists (what a second launch added last)', () => {
    const other = fs.mkdtempSync(path.join(tmp, 'other-'))
    expect(projectFromArgs([EXE, other, project, path.join(tmp, 'missing')], { cwd: '/', defaultApp: false })).toBe(project)
  })
})

describe('setupOsOpen', () => {
  const argv = process.argv
  beforeEach(() => {
    resetElectron()
    process.argv = [EXE]
  })
  afterEach(() => {
    process.argv = argv
  })

  it('keeps an open-file that comes before the app is ready for start-up instead of opening it', () => {
    const open = vi.fn(async () => undefined)
    const os = setupOsOpen({ open, focus: vi.fn() })
    const e = fakeEvent()
    app.emit('open-file', e, project)
    expect(e.preventDefault).toHaveBeenCalled() // or macOS says the app cannot open it
    expect(open).not.toHaveBeenCalled()
    expect(os.ready()).toBe(project)
  })

  it("at start-up, a project on the app's own command line", () => {
    process.argv = [EXE, project]
    expect(setupOsOpen({ open: vi.fn(), focus: vi.fn() }).ready()).toBe(project)
    process.argv = [EXE]
    expect(setupOsOpen({ open: vi.fn(), focus: vi.fn() }).ready()).toBeNull()
  })

  it('once ready: open-file opens, a second launch focuses the window and opens its folder', () => {
    const open = vi.fn(async () => undefined)
    const focus = vi.fn()
    setupOsOpen({ open, focus }).ready()
    app.emit('open-file', fakeEvent(), project)
    expect(open).toHaveBeenLastCalledWith(project)
    app.emit('second-instance', fakeEvent(), [EXE, 'bees project'], tmp)
    expect(focus).toHaveBeenCalledTimes(1)
    expect(open).toHaveBeenCalledTimes(2)
    // a plain second launch only focuses
    app.emit('second-instance', fakeEvent(), [EXE], tmp)
    expect(focus).toHaveBeenCalledTimes(2)
    expect(open).toHaveBeenCalledTimes(2)
  })
})

describe('openFromOs', () => {
  beforeEach(resetElectron)

  it('opens through the studio, quietly when it works', async () => {
    const invoke = vi.fn(async () => ({}))
    expect(await openFromOs(invoke, null, project)).toBe(true)
    expect(invoke).toHaveBeenCalledWith('openProject', { path: project })
    expect(dialog.showMessageBox).not.toHaveBeenCalled()
  })

  it('says why in a native message when it cannot (on the window, when there is one)', async () => {
    const invoke = vi.fn(async () => {
      throw new ThawError('BUSY', 'a job is running in this project; wait for it or cancel it before switching')
    })
    const win = new FakeWindow()
    expect(await openFromOs(invoke, win as never, project)).toBe(false)
    const [parent, options] = dialog.showMessageBox.mock.calls[0]! as [unknown, Electron.MessageBoxOptions]
    expect(parent).toBe(win)
    expect(options.message).toBe(`Thaw Studio could not open ${project}`)
    expect(options.detail).toMatch(/a job is running/)
    win.destroyed = true
    await openFromOs(invoke, win as never, project)
    expect(dialog.showMessageBox.mock.calls[1]![0]).toMatchObject({ message: `Thaw Studio could not open ${project}` })
  })
})

describe('handOver', () => {
  it('a project folder opens; the page is not bothered', async () => {
    const open = vi.fn(async () => true)
    const inbox = new FolderInbox()
    const notifyPage = vi.fn()
    expect(isProjectFolder(project)).toBe(true)
    expect(await handOver(project, { open, inbox, notifyPage })).toBe('opened')
    expect(open).toHaveBeenCalledWith(project)
    open.mockResolvedValueOnce(false)
    expect(await handOver(project, { open, inbox, notifyPage })).toBe('failed')
    expect(notifyPage).not.toHaveBeenCalled()
    expect(inbox.take()).toBeNull()
  })

  it('a folder of images waits for the page (to import it), which is told to take it', async () => {
    const pictures = fs.mkdtempSync(path.join(tmp, 'pictures-'))
    const open = vi.fn(async () => true)
    const inbox = new FolderInbox()
    const notifyPage = vi.fn()
    expect(await handOver(pictures, { open, inbox, notifyPage })).toBe('page')
    expect(open).not.toHaveBeenCalled()
    expect(notifyPage).toHaveBeenCalledTimes(1)
    expect(inbox.take()).toBe(pictures)
    expect(inbox.take()).toBeNull()
  })
})
