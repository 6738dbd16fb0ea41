// The desktop commands' native side, electron stubbed: the OS folder picker and Show in folder.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { dialog, FakeWindow, resetElectron, shell } from './electronStub'

vi.mock('electron', async () => await import('./electronStub'))
const { desktopHandlers: handlersFor, nearestExistingFolder } = await import('../../../src/main/electron/nativeDialogs')
const { FolderInbox } = await import('../../../src/main/electron/osOpen')
const desktopHandlers = (w: never, inbox = new FolderInbox()) => handlersFor(w, inbox)

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'thaw-dialogs-'))
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }))

let win: FakeWindow
beforeEach(() => {
  resetElectron()
  win = new FakeWindow()
})

describe('nearestExistingFolder', () => {
  it('is the folder itself, else its nearest existing parent, else nothing', () => {
    expect(nearestExistingFolder(tmp)).toBe(tmp)
    expect(nearestExistingFolder(path.join(tmp, 'exports', 'tfjs'))).toBe(tmp)
    fs.writeFileSync(path.join(tmp, 'a-file'), '')
    expect(nearestExistingFolder(path.join(tmp, 'a-file'))).toBe(tmp)
    expect(nearestExistingFolder(undefined)).toBeUndefined()
    expect(nearestExistingFolder('')).toBeUndefined()
    // relative to what? the main process's cwd is no place to start a person's picker
    expect(nearestExistingFolder('pictures')).toBeUndefined()
  })
})

describe('pickFolder', () => {
  it('opens a folder picker as a sheet of our window, where the field points', async () => {
    dialog.showOpenDialog.mockResolvedValueOnce({ canceled: false, filePaths: ['/home/me/pictures'] })
    const picked = await desktopHandlers(win as never).pickFolder({ title: 'Choose the folder to import', defaultPath: path.join(tmp, 'not-yet') })
    expect(picked).toEqual({ path: '/home/me/pictures' })
    const [parent, options] = dialog.showOpenDialog.mock.calls[0]! as [unknown, Electron.OpenDialogOptions]
    expect(parent).toBe(win)
    expect(options.title).toBe('Choose the folder to import')
    expect(options.defaultPath).toBe(tmp)
    expect(options.properties).toEqual(expect.arrayContaining(['openDirectory', 'createDirectory']))
    expect(options.properties).not.toContain('openFile')
    expect(options.properties).not.toContain('multiSelections')
  })

  it('answers null when the person cancels', async () => {
    dialog.showOpenDialog.mockResolvedValueOnce({ canceled: true, filePaths: [] })
    expect(await desktopHandlers(win as never).pickFolder({})).toEqual({ path: null })
  })
})

describe('showInFolder', () => {
  it('reveals an existing file or folder in the file manager (never opens it)', async () => {
    expect(await desktopHandlers(win as never).showInFolder({ path: tmp })).toEqual({ shown: true })
    expect(shell.showItemInFolder).toHaveBeenCalledWith(tmp)
    expect(shell.openPath).not.toHaveBeenCalled()
  })

  it('says so when the export is gone, and refuses relative paths', async () => {
    const handlers = desktopHandlers(win as never)
    await expect(handlers.showInFolder({ path: path.join(tmp, 'gone') })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(handlers.showInFolder({ path: 'relative/dir' })).rejects.toMatchObject({ code: 'BAD_ARGS' })
    expect(shell.showItemInFolder).not.toHaveBeenCalled()
  })
})

describe('takeOpenedFolder', () => {
  it('hands the folder the OS gave over to the page once', async () => {
    const inbox = new FolderInbox()
    const handlers = desktopHandlers(win as never, inbox)
    expect(await handlers.takeOpenedFolder({})).toEqual({ path: null })
    inbox.put('/home/me/a')
    inbox.put('/home/me/pictures') // the newest wins
    expect(await handlers.takeOpenedFolder({})).toEqual({ path: '/home/me/pictures' })
    expect(await handlers.takeOpenedFolder({})).toEqual({ path: null })
  })
})
