import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron'
import { commandNames, IPC_EVENT_CHANNEL, ipcChannel } from '../../shared/contract'
import { toErrorInfo } from '../errors'
import type { Studio } from '../studio/studio'

/** Wires every contract command to IPC. Each handler checks that the sender is our own window
 * showing our own page; anything else is refused. Results travel in an envelope so error codes
 * survive the bridge. */
export function setupIpc(studio: Studio, win: BrowserWindow, isTrustedUrl: (url: string) => boolean): void {
  const trusted = (e: IpcMainInvokeEvent): boolean =>
    e.sender === win.webContents && !!e.senderFrame && isTrustedUrl(e.senderFrame.url)
  for (const name of commandNames) {
    ipcMain.handle(ipcChannel(name), async (e, args: unknown) => {
      if (!trusted(e)) return { ok: false, error: { code: 'FORBIDDEN', message: 'untrusted sender' } }
      try {
        return { ok: true, result: await studio.invoke(name, args) }
      } catch (err) {
        return { ok: false, error: toErrorInfo(err) }
      }
    })
  }
  const unsubscribe = studio.subscribe((event) => {
    if (!win.isDestroyed()) win.webContents.send(IPC_EVENT_CHANNEL, event)
  })
  win.on('closed', unsubscribe)
}
