// A stand-in for the electron module in unit tests of src/main/electron (vi.mock('electron')):
// the app, ipcMain, dialogs, shell, menus and screens these files use, recording what is asked of
// them, and a window double whose events the tests fire.
import { EventEmitter } from 'node:events'
import { vi } from 'vitest'

/** An Electron event: preventDefault is what the code under test must (not) call. */
export function fakeEvent(extra: Record<string, unknown> = {}): { preventDefault: ReturnType<typeof vi.fn>; defaultPrevented: boolean } & Record<string, unknown> {
  const e = {
    defaultPrevented: false,
    preventDefault: vi.fn(() => {
      e.defaultPrevented = true
    }),
    ...extra
  }
  return e
}

class FakeApp extends EventEmitter {
  isPackaged = false
  appPath = '/app'
  getAppPath = vi.fn(() => this.appPath)
  getVersion = vi.fn(() => '0.1.0')
  quit = vi.fn()
  exit = vi.fn()
  addRecentDocument = vi.fn()
  setJumpList = vi.fn((): string => 'ok')
  setAboutPanelOptions = vi.fn()
  setAppUserModelId = vi.fn()
  requestSingleInstanceLock = vi.fn(() => true)
  private markReady: () => void = () => undefined
  private readonly ready = new Promise<void>((resolve) => (this.markReady = resolve))
  /** pending until `becomeReady()`, as before Electron's ready */
  whenReady = vi.fn(() => this.ready)
  becomeReady(): void {
    this.markReady()
  }
}
export const app = new FakeApp()

export const ipcMain = {
  handlers: new Map<string, (e: unknown, args: unknown) => Promise<unknown>>(),
  handle: vi.fn((channel: string, fn: (e: unknown, args: unknown) => Promise<unknown>) => {
    // as Electron: a second handler for one channel is an error
    if (ipcMain.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`)
    ipcMain.handlers.set(channel, fn)
  })
}

export const dialog = {
  showOpenDialog: vi.fn(async (..._a: unknown[]): Promise<{ canceled: boolean; filePaths: string[] }> => ({ canceled: true, filePaths: [] })),
  showMessageBox: vi.fn(async (..._a: unknown[]): Promise<{ response: number }> => ({ response: 0 })),
  showErrorBox: vi.fn()
}

export const shell = { showItemInFolder: vi.fn(), openExternal: vi.fn(), openPath: vi.fn() }

export const Menu = {
  buildFromTemplate: vi.fn((template: unknown[]) => ({ template })),
  setApplicationMenu: vi.fn()
}

export const screen = {
  displays: [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] as { workArea: { x: number; y: number; width: number; height: number } }[],
  getAllDisplays: vi.fn(() => screen.displays)
}

export const protocol = { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() }

export interface Frame {
  url: string
  parent: Frame | null
}

/** A BrowserWindow double: its webContents, top frame, bounds and life cycle. */
export class FakeWindow extends EventEmitter {
  destroyed = false
  maximized = false
  bounds = { x: 100, y: 80, width: 1400, height: 900 }
  readonly mainFrame: Frame = { url: 'file:///app/out/renderer/index.html', parent: null }
  readonly webContents = Object.assign(new EventEmitter(), { send: vi.fn(), mainFrame: this.mainFrame, setWindowOpenHandler: vi.fn() })
  visible = true
  hide = vi.fn(() => void (this.visible = false))
  isDestroyed = (): boolean => this.destroyed
  isMaximized = (): boolean => this.maximized
  getNormalBounds = (): typeof this.bounds => ({ ...this.bounds })
  /** as Electron: 'close' (which may be prevented), then the window goes */
  close = vi.fn(() => {
    const e = fakeEvent()
    this.emit('close', e)
    if (e.defaultPrevented) return
    this.destroyed = true
    this.emit('closed')
  })
}

// the preload's side
export const contextBridge = {
  exposed: new Map<string, unknown>(),
  exposeInMainWorld: vi.fn((key: string, api: unknown) => contextBridge.exposed.set(key, api))
}
export const ipcRenderer = Object.assign(new EventEmitter(), { invoke: vi.fn(async (..._a: unknown[]): Promise<unknown> => ({ ok: true, result: null })) })
export const webUtils = { getPathForFile: vi.fn((_f: unknown) => '/dropped/folder') }

/** The BrowserWindow class, for the entry point (src/main/index.ts): remembers every window made. */
export class BrowserWindow extends FakeWindow {
  static created: BrowserWindow[] = []
  constructor(readonly options: Electron.BrowserWindowConstructorOptions) {
    super()
    BrowserWindow.created.push(this)
  }
  loadURL = vi.fn(async (_url: string) => undefined)
  maximize = vi.fn()
  show = vi.fn()
  focus = vi.fn()
  restore = vi.fn()
  isMinimized = (): boolean => false
}

export const session = { defaultSession: { setPermissionRequestHandler: vi.fn(), setPermissionCheckHandler: vi.fn() } }

/** Back to a fresh stub between tests. */
export function resetElectron(): void {
  app.removeAllListeners()
  app.isPackaged = false
  app.appPath = '/app'
  ipcMain.handlers.clear()
  screen.displays = [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }]
  vi.clearAllMocks()
}

export default { app, ipcMain, dialog, shell, Menu, screen, protocol, contextBridge, ipcRenderer, webUtils, BrowserWindow, session }
