// The preload bridge, electron stubbed: exactly one method per command and desktop command on
// their own channels, events, and dropped files' paths; no generic ipcRenderer reaches the page.
import { describe, expect, it, vi } from 'vitest'
import { commandNames, desktopChannel, desktopCommandNames, IPC_EVENT_CHANNEL, ipcChannel } from '../../src/shared/contract'
import { contextBridge, ipcRenderer, webUtils } from '../main/electron/electronStub'

vi.mock('electron', async () => await import('../main/electron/electronStub'))
await import('../../src/preload/index')

type Bridge = Record<string, unknown> & { desktop: Record<string, (a?: unknown) => unknown>; onEvent: (l: (e: unknown) => void) => () => void }
const thaw = contextBridge.exposed.get('thaw') as Bridge

describe('preload', () => {
  it('exposes only `thaw`: the commands, desktop, mediaBase and onEvent', () => {
    expect([...contextBridge.exposed.keys()]).toEqual(['thaw'])
    expect(Object.keys(thaw).sort()).toEqual([...commandNames, 'desktop', 'mediaBase', 'onEvent'].sort())
    expect(Object.keys(thaw.desktop).sort()).toEqual([...desktopCommandNames, 'pathForFile'].sort())
    expect(thaw).not.toHaveProperty('invoke')
    expect(thaw).not.toHaveProperty('ipcRenderer')
  })

  it('each method invokes its own channel', async () => {
    await (thaw.openProject as (a: unknown) => Promise<unknown>)({ path: '/p' })
    expect(ipcRenderer.invoke).toHaveBeenLastCalledWith(ipcChannel('openProject'), { path: '/p' })
    await thaw.desktop.pickFolder!({ title: 'Choose' })
    expect(ipcRenderer.invoke).toHaveBeenLastCalledWith(desktopChannel('pickFolder'), { title: 'Choose' })
    await thaw.desktop.showInFolder!({ path: '/x' })
    expect(ipcRenderer.invoke).toHaveBeenLastCalledWith(desktopChannel('showInFolder'), { path: '/x' })
  })

  it("gives a dropped file's path through webUtils (File.path is gone since Electron 32)", () => {
    const file = { name: 'pictures' }
    expect(thaw.desktop.pathForFile!(file)).toBe('/dropped/folder')
    expect(webUtils.getPathForFile).toHaveBeenCalledWith(file)
  })

  it('delivers studio events without the IPC event object, until unsubscribed', () => {
    const listener = vi.fn()
    const off = thaw.onEvent(listener)
    const e = { event: 'libraryChanged', payload: { reason: 'x' } }
    ipcRenderer.emit(IPC_EVENT_CHANNEL, { sender: 'ipc internals' }, e)
    expect(listener).toHaveBeenCalledWith(e)
    off()
    ipcRenderer.emit(IPC_EVENT_CHANNEL, {}, e)
    expect(listener).toHaveBeenCalledTimes(1)
  })
})
