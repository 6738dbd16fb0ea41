// The Electron entry point (src/main/index.ts) wired against a stubbed electron module: the secure
// window with its icon, every channel behind the sender check, menus and About, a project handed
// over by the OS before the app was ready, a folder of images left for the page, and the quit
// that closes the studio first. What the stub cannot show (a real window, real dialogs) is in the
// README's list of what is not verified here.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { commandNames, desktopChannel, desktopCommandNames, IPC_EVENT_CHANNEL, ipcChannel } from '../../src/shared/contract'
import { Project } from '../../src/main/project/project'
import { app, BrowserWindow, fakeEvent, ipcMain, Menu, session } from './electron/electronStub'

vi.mock('electron', async () => await import('./electron/electronStub'))

const root = path.join(__dirname, '../..')
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'thaw-entry-'))
const config = path.join(tmp, 'config')
const projectDir = path.join(tmp, 'bees')
const pictures = path.join(tmp, 'pictures')
fs.mkdirSync(pictures)
Project.create(projectDir, 'Bees').close()
// the last project of an earlier session, which the OS's request must win over
const lastDir = path.join(tmp, 'ants')
Project.create(lastDir, 'Ants').close()
fs.mkdirSync(config)
fs.writeFileSync(path.join(config, 'recent-projects.json'), JSON.stringify([{ path: lastDir, name: 'Ants', openedAt: '2026-12-01T00:00:00Z' }]))

const saved = { argv: process.argv, config: process.env.THAW_CONFIG_DIR }
process.env.THAW_CONFIG_DIR = config
// the test runner's own arguments are folders too: the app must see a plain launch
process.argv = [process.execPath]
app.appPath = root
await import('../../src/main/index')
process.argv = saved.argv

afterAll(() => {
  if (saved.config === undefined) delete process.env.THAW_CONFIG_DIR
  else process.env.THAW_CONFIG_DIR = saved.config
  fs.rmSync(tmp, { recursive: true, force: true })
})

const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r))
}
const win = (): BrowserWindow => BrowserWindow.created[0]!
const call = (channel: string, args: unknown = {}): Promise<unknown> =>
  ipcMain.handlers.get(channel)!({ sender: win().webContents, senderFrame: win().mainFrame }, args)

describe('src/main/index.ts', () => {
  it('takes the single-instance lock and keeps a project the OS names before ready for start-up', async () => {
    expect(app.requestSingleInstanceLock).toHaveBeenCalled()
    expect(BrowserWindow.created).toHaveLength(0)
    const e = fakeEvent()
    app.emit('open-file', e, projectDir)
    expect(e.preventDefault).toHaveBeenCalled()
    app.becomeReady()
    await vi.waitFor(() => expect(BrowserWindow.created).toHaveLength(1))
    await flush()
  })

  it('makes one sandboxed window with the app icon, showing the built page', () => {
    const { options } = win()
    expect(options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true })
    expect(options.webPreferences?.preload).toBe(path.join(root, 'src/preload/index.js'))
    const icon = path.join(root, 'resources/icons/png/512x512.png')
    if (fs.existsSync(icon)) expect(options.icon).toBe(icon) // rendered by `npm run icons` (npm run build)
    expect(win().loadURL).toHaveBeenCalledWith(expect.stringMatching(/^file:.*\/renderer\/index\.html$/))
  })

  it('opened the project the OS asked for, not the last one', async () => {
    win().mainFrame.url = win().loadURL.mock.calls[0]![0]
    expect(await call(ipcChannel('currentProject'))).toMatchObject({ ok: true, result: { name: 'Bees' } })
  })

  it('wires every command and desktop command, refuses other pages, navigation and permissions', async () => {
    for (const channel of [...commandNames.map(ipcChannel), ...desktopCommandNames.map(desktopChannel)]) expect(ipcMain.handlers.has(channel)).toBe(true)
    const foreign = await ipcMain.handlers.get(ipcChannel('currentProject'))!({ sender: win().webContents, senderFrame: { url: 'https://evil.example/', parent: null } }, {})
    expect(foreign).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    const nav = fakeEvent()
    win().webContents.emit('will-navigate', nav, 'https://evil.example/')
    expect(nav.preventDefault).toHaveBeenCalled()
    const openHandler = win().webContents.setWindowOpenHandler.mock.calls[0]![0] as (d: { url: string }) => { action: string }
    expect(openHandler({ url: 'https://example.org/docs' })).toEqual({ action: 'deny' })
    const decide = vi.fn()
    ;(session.defaultSession.setPermissionRequestHandler.mock.calls[0]![0] as (w: unknown, p: string, cb: (ok: boolean) => void) => void)(null, 'media', decide)
    expect(decide).toHaveBeenCalledWith(false)
  })

  it('sets the menu and the About panel, and rebuilds the menu when a project opens', async () => {
    expect(app.setAboutPanelOptions).toHaveBeenCalledWith(expect.objectContaining({ applicationName: 'Thaw Studio', applicationVersion: '0.1.0' }))
    const menus = Menu.setApplicationMenu.mock.calls.length
    expect(menus).toBeGreaterThanOrEqual(2) // at start, and after the OS's project opened
    await call(ipcChannel('openProject'), { path: projectDir })
    expect(Menu.setApplicationMenu.mock.calls.length).toBe(menus + 1)
  })

  it('a second launch with a folder of images focuses the window and leaves the folder for the page', async () => {
    app.emit('second-instance', fakeEvent(), [process.execPath, pictures], tmp)
    await flush()
    expect(win().focus).toHaveBeenCalled()
    expect(win().webContents.send).toHaveBeenCalledWith(IPC_EVENT_CHANNEL, { event: 'menu', payload: { action: 'openFolder' } })
    expect(await call(desktopChannel('takeOpenedFolder'))).toEqual({ ok: true, result: { path: pictures } })
    expect(await call(desktopChannel('takeOpenedFolder'))).toEqual({ ok: true, result: { path: null } })
    // the project stays open
    expect(await call(ipcChannel('currentProject'))).toMatchObject({ result: { name: 'Bees' } })
  })

  it('quitting closes the studio (the project) first, then quits', async () => {
    app.quit.mockImplementation(() => app.emit('before-quit', fakeEvent()))
    const e = fakeEvent()
    app.emit('before-quit', e)
    expect(e.preventDefault).toHaveBeenCalled()
    await vi.waitFor(() => expect(app.quit).toHaveBeenCalledTimes(1))
    expect(await call(ipcChannel('currentProject'))).toEqual({ ok: true, result: null })
  })
})
