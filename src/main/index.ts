// Electron entry: a secure window and the contract wired to IPC. Behaviour lives in studio/.
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { app, BrowserWindow, dialog, session, shell } from 'electron'
import { readRecent } from './project/recent'
import { openDatabase } from './store/db'
import { Studio } from './studio/studio'
import { setupAboutPanel, setupAppId } from './electron/about'
import { appIconPath } from './electron/appIcon'
import { setupIpc } from './electron/ipc'
import { registerMediaScheme, setupMediaProtocol } from './electron/media'
import { setupMenu, type MenuActions } from './electron/menu'
import { desktopHandlers } from './electron/nativeDialogs'
import { FolderInbox, handOver, openFromOs, setupOsOpen } from './electron/osOpen'
import { addToOsRecent } from './electron/osRecent'
import { setupQuit } from './electron/quit'
import { loadWindowState, trackWindowState } from './electron/windowState'

const studio = new Studio()
let win: BrowserWindow | null = null
const quit = setupQuit(studio, { window: () => win })
const openProject = (p: string): Promise<boolean> => openFromOs((name, args) => studio.invoke(name, args), win, p)
// a folder of images from the OS goes to the page's Import dialog (it takes it from here)
const inbox = new FolderInbox()
const fromOs = (p: string): ReturnType<typeof handOver> => handOver(p, { open: openProject, inbox, notifyPage: () => studio.emit('menu', { action: 'openFolder' }) })

const rendererUrl = process.env.ELECTRON_RENDERER_URL ?? pathToFileURL(path.join(__dirname, '../renderer/index.html')).href
const isTrustedUrl = (url: string): boolean => url.split(/[?#]/)[0] === rendererUrl.split(/[?#]/)[0]

function createWindow(icon: string | undefined): BrowserWindow {
  const state = loadWindowState()
  const w = new BrowserWindow({
    ...(state?.bounds ?? { width: 1400, height: 900 }),
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Thaw Studio',
    // Linux taskbars take the window's icon; Windows and macOS show the executable's
    ...(icon ? { icon } : {}),
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
  quit.guardWindow(w)
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
  // a project the OS asks for (a recent project, a jump list entry, a folder on the Dock icon,
  // a second launch with a folder): registered now, since macOS sends open-file before ready
  const osOpen = setupOsOpen({
    open: async (p) => void (await fromOs(p)),
    focus: () => {
      if (!win) return
      if (win.isMinimized()) win.restore()
      win.focus()
    }
  })
  setupAppId()
  registerMediaScheme()
  void app.whenReady().then(async () => {
    // the native addon first: a better-sqlite3 built for another ABI would otherwise fail every
    // project later, one by one (store/nativeBinding.ts, `npm start` prepares Electron's build)
    try {
      openDatabase(':memory:', { create: true }).close()
    } catch (err) {
      if (process.env.THAW_SMOKE_TEST) console.error(`smoke test: the database module does not load: ${(err as Error).message}`)
      else dialog.showErrorBox('Thaw Studio cannot start', `Its database module (better-sqlite3) does not load in this Electron:\n\n${(err as Error).message}`)
      app.exit(1)
      return
    }
    // the release workflow launches the packaged app once to prove the rebuilt addon loads
    if (process.env.THAW_SMOKE_TEST) {
      console.log(`smoke test: Thaw Studio ${app.getVersion()} opened a database under Electron ${process.versions.electron}`)
      app.exit(0)
      return
    }
    lockDown()
    setupMediaProtocol(studio)
    const icon = appIconPath()
    setupAboutPanel(icon)
    const menuActions: MenuActions = { send: (action) => studio.emit('menu', { action }), openRecent: (p) => void openProject(p) }
    setupMenu(readRecent(), menuActions)
    // every project opened (menu, page, OS) goes into the OS's recent list and Open Recent
    studio.subscribe((e) => {
      if (e.event !== 'projectChanged' || !e.payload) return
      const recent = readRecent()
      addToOsRecent(e.payload.path, recent)
      setupMenu(recent, menuActions)
    })
    const asked = osOpen.ready()
    const last = readRecent()[0]
    // a project asked for at launch wins over reopening the last one; a folder of images waits in
    // the inbox for the page, which imports it into the reopened project
    const outcome = asked ? await fromOs(asked) : null
    if ((outcome === null || outcome === 'page') && last) {
      await studio.invoke('openProject', { path: last.path }).catch((err: unknown) => {
        // the projects screen opens instead; say why where a developer looks
        console.warn(`could not reopen ${last.path}: ${(err as Error).message}`)
      })
    }
    win = createWindow(icon)
    setupIpc(studio, win, isTrustedUrl, desktopHandlers(win, inbox))
    await win.loadURL(rendererUrl)
  })
  app.on('window-all-closed', () => app.quit())
  // quitting closes the studio first, awaited (electron/quit.ts)
}

start()
