// Electron entry: a secure window and the contract wired to IPC. Behaviour lives in studio/.
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { app, BrowserWindow, session, shell } from 'electron'
import { readRecent } from './project/recent'
import { Studio } from './studio/studio'
import { setupIpc } from './electron/ipc'
import { registerMediaScheme, setupMediaProtocol } from './electron/media'
import { setupMenu } from './electron/menu'
import { loadWindowState, trackWindowState } from './electron/windowState'

const studio = new Studio()
let win: BrowserWindow | null = null

const rendererUrl = process.env.ELECTRON_RENDERER_URL ?? pathToFileURL(path.join(__dirname, '../renderer/index.html')).href
const isTrustedUrl = (url: string): boolean => url.split(/[?#]/)[0] === rendererUrl.split(/[?#]/)[0]

function createWindow(): BrowserWindow {
  const state = loadWindowState()
  const w = new BrowserWindow({
    ...(state?.bounds ?? { width: 1400, height: 900 }),
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Thaw Studio',
    webPreferences: {
      preload: path.join(__dirname, '../preload/index.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true
    }
  })
  if (state?.maximized) w.maximize()
  trackWindowState(w)
  // the page never navigates away or opens windows; links go to the user's browser
  w.webContents.on('will-navigate', (e, url) => {
    if (!isTrustedUrl(url)) e.preventDefault()
  })
  w.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url)
    return { action: 'deny' }
  })
  w.once('ready-to-show', () => w.show())
  w.on('closed', () => {
    if (win === w) win = null
  })
  return w
}

/** Defaults no page gets past: no permission (camera, notifications, ...) is ever granted, and no
 * <webview> can be attached. The studio needs none of them. */
function lockDown(): void {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  session.defaultSession.setPermissionCheckHandler(() => false)
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-attach-webview', (e) => e.preventDefault())
  })
}

function start(): void {
  if (!app.requestSingleInstanceLock()) {
    app.quit()
    return
  }
  app.on('second-instance', () => {
    if (!win) return
    if (win.isMinimized()) win.restore()
    win.focus()
  })
  registerMediaScheme()
  void app.whenReady().then(async () => {
    lockDown()
    setupMediaProtocol(studio)
    setupMenu(studio)
    const last = readRecent()[0]
    if (last) await studio.invoke('openProject', { path: last.path }).catch(() => undefined)
    win = createWindow()
    setupIpc(studio, win, isTrustedUrl)
    await win.loadURL(rendererUrl)
  })
  app.on('window-all-closed', () => {
    studio.close()
    app.quit()
  })
}

start()
