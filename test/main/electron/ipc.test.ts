// The IPC wiring of the desktop app, with the electron module stubbed: every contract command and
// desktop command reaches its handler only from our own window's top frame showing our own page.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { commandNames, desktopChannel, desktopCommandNames, IPC_EVENT_CHANNEL, ipcChannel, type StudioEvent } from '../../../src/shared/contract'
import { ThawError } from '../../../src/main/errors'
import { FakeWindow, ipcMain, resetElectron, type Frame } from './electronStub'

vi.mock('electron', async () => await import('./electronStub'))
const { isTrustedSender, setupIpc } = await import('../../../src/main/electron/ipc')

const PAGE = 'file:///app/out/renderer/index.html'
const isTrustedUrl = (url: string): boolean => url.split(/[?#]/)[0] === PAGE

function fakeStudio() {
  const listeners = new Set<(e: StudioEvent) => void>()
  return {
    invoke: vi.fn(async (name: string, args: unknown): Promise<unknown> => ({ name, args })),
    subscribe: vi.fn((l: (e: StudioEvent) => void) => {
      listeners.add(l)
      return () => listeners.delete(l)
    }),
    emit: (e: StudioEvent) => listeners.forEach((l) => l(e)),
    listeners
  }
}

function fakeDesktop() {
  return {
    pickFolder: vi.fn(async (_args: unknown) => ({ path: '/picked' as string | null })),
    showInFolder: vi.fn(async (_args: unknown) => ({ shown: true as const })),
    takeOpenedFolder: vi.fn(async (_args: unknown) => ({ path: null as string | null }))
  }
}

let win: FakeWindow
let studio: ReturnType<typeof fakeStudio>
let desktop: ReturnType<typeof fakeDesktop>

beforeEach(() => {
  resetElectron()
  win = new FakeWindow()
  studio = fakeStudio()
  desktop = fakeDesktop()
  setupIpc(studio as never, win as never, isTrustedUrl, desktop)
})

/** What an invoke from `sender`'s `frame` gets back. */
function call(channel: string, args: unknown, from: { sender?: unknown; frame?: Frame | null } = {}): Promise<unknown> {
  const handler = ipcMain.handlers.get(channel)
  if (!handler) throw new Error(`no handler for ${channel}`)
  const frame = from.frame === undefined ? win.mainFrame : from.frame
  return handler({ sender: from.sender ?? win.webContents, senderFrame: frame }, args)
}

const FORBIDDEN = { ok: false, error: { code: 'FORBIDDEN', message: 'untrusted sender' } }

describe('setupIpc', () => {
  it('registers one handler per contract command and per desktop command, nothing else', () => {
    const channels = [...ipcMain.handlers.keys()].sort()
    expect(channels).toEqual([...commandNames.map(ipcChannel), ...desktopCommandNames.map(desktopChannel)].sort())
  })

  it('runs a command from our page and returns its result in an envelope', async () => {
    expect(await call(ipcChannel('openProject'), { path: '/p' })).toEqual({ ok: true, result: { name: 'openProject', args: { path: '/p' } } })
    expect(studio.invoke).toHaveBeenCalledWith('openProject', { path: '/p' })
  })

  it('keeps error codes across the bridge', async () => {
    studio.invoke.mockRejectedValueOnce(new ThawError('BAD_PROJECT', 'not a project'))
    expect(await call(ipcChannel('openProject'), { path: '/p' })).toEqual({ ok: false, error: { code: 'BAD_PROJECT', message: 'not a project' } })
  })

  describe('refuses foreign senders, running nothing', () => {
    const cases: [string, () => { sender?: unknown; frame?: Frame | null }][] = [
      ['another window', () => ({ sender: new FakeWindow().webContents })],
      ['an iframe inside our page', () => ({ frame: { url: PAGE, parent: win.mainFrame } })],
      ['our window after it navigated elsewhere', () => ({ frame: { url: 'https://evil.example/index.html', parent: null } })],
      ['a file:// page that is not ours', () => ({ frame: { url: 'file:///tmp/index.html', parent: null } })],
      ['a frame that is already gone', () => ({ frame: null })]
    ]
    for (const [what, from] of cases) {
      it(what, async () => {
        expect(await call(ipcChannel('openProject'), { path: '/p' }, from())).toEqual(FORBIDDEN)
        expect(await call(desktopChannel('showInFolder'), { path: '/p' }, from())).toEqual(FORBIDDEN)
        expect(await call(desktopChannel('pickFolder'), {}, from())).toEqual(FORBIDDEN)
        expect(await call(desktopChannel('takeOpenedFolder'), {}, from())).toEqual(FORBIDDEN)
        expect(studio.invoke).not.toHaveBeenCalled()
        expect(desktop.showInFolder).not.toHaveBeenCalled()
        expect(desktop.pickFolder).not.toHaveBeenCalled()
        expect(desktop.takeOpenedFolder).not.toHaveBeenCalled()
      })
    }

    it('a destroyed window', async () => {
      win.destroyed = true
      expect(await call(ipcChannel('currentProject'), {})).toEqual(FORBIDDEN)
      expect(studio.invoke).not.toHaveBeenCalled()
    })
  })

  it('accepts our page with a query or hash (the router may add one)', () => {
    const e = { sender: win.webContents, senderFrame: { url: `${PAGE}#/library`, parent: null } }
    expect(isTrustedSender(e as never, win as never, isTrustedUrl)).toBe(true)
  })

  it('validates desktop commands against the contract before their handler runs', async () => {
    expect(await call(desktopChannel('showInFolder'), { path: '' })).toMatchObject({ ok: false, error: { code: 'BAD_ARGS' } })
    expect(await call(desktopChannel('showInFolder'), { path: '/x', extra: 1 })).toMatchObject({ ok: false, error: { code: 'BAD_ARGS' } })
    expect(await call(desktopChannel('pickFolder'), { title: 42 })).toMatchObject({ ok: false, error: { code: 'BAD_ARGS', message: expect.stringContaining('title') } })
    expect(desktop.showInFolder).not.toHaveBeenCalled()
    expect(desktop.pickFolder).not.toHaveBeenCalled()
    expect(await call(desktopChannel('pickFolder'), { title: 'Choose', defaultPath: '/home' })).toEqual({ ok: true, result: { path: '/picked' } })
    expect(desktop.pickFolder).toHaveBeenCalledWith({ title: 'Choose', defaultPath: '/home' })
    // no args at all is the same as {}
    expect(await call(desktopChannel('pickFolder'), undefined)).toEqual({ ok: true, result: { path: '/picked' } })
  })

  it('returns a desktop handler failure as its code', async () => {
    desktop.showInFolder.mockRejectedValueOnce(new ThawError('NOT_FOUND', '/gone is no longer there'))
    expect(await call(desktopChannel('showInFolder'), { path: '/gone' })).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: '/gone is no longer there' } })
  })

  it('pushes studio events to the window until it is closed, never to a destroyed one', () => {
    const e: StudioEvent = { event: 'libraryChanged', payload: { reason: 'import' } }
    studio.emit(e)
    expect(win.webContents.send).toHaveBeenCalledWith(IPC_EVENT_CHANNEL, e)
    win.destroyed = true
    studio.emit(e)
    expect(win.webContents.send).toHaveBeenCalledTimes(1)
    win.emit('closed')
    expect(studio.listeners.size).toBe(0)
  })
})
