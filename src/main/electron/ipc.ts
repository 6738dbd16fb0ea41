import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron'
import {
  commandNames,
  desktopChannel,
  desktopCommandNames,
  desktopCommands,
  IPC_EVENT_CHANNEL,
  ipcChannel,
  type DesktopCommandName,
  type DesktopCommandResult,
  type DesktopCommands
} from '../../shared/contract'
import type { z } from 'zod'
import { describeIssues, toErrorInfo } from '../errors'
import type { Studio } from '../studio/studio'

/** The desktop shell's own commands (native dialogs, the file manager): args already validated. */
export type DesktopHandlers = {
  [N in DesktopCommandName]: (args: z.output<DesktopCommands[N]['args']>) => Promise<DesktopCommandResult<N>>
}

const FORBIDDEN = { ok: false, error: { code: 'FORBIDDEN', message: 'untrusted sender' } } as const

/** Only our own window, showing our own page (its top frame: not an iframe it might embed),
 * may call the studio. A page that navigated elsewhere, another window, a subframe: refused. */
export function isTrustedSender(e: IpcMainInvokeEvent, win: BrowserWindow, isTrustedUrl: (url: string) => boolean): boolean {
  if (win.isDestroyed() || e.sender !== win.webContents) return false
  const frame = e.senderFrame
  return !!frame && frame.parent === null && isTrustedUrl(frame.url)
}

/** Wires every contract command to IPC. Each handler checks that the sender is our own window
 * showing our own page; anything else is refused. Results travel in an envelope so error codes
 * survive the bridge. */
export function setupIpc(studio: Studio, win: BrowserWindow, isTrustedUrl: (url: string) => boolean, desktop?: DesktopHandlers): void {
  for (const name of commandNames) {
    ipcMain.handle(ipcChannel(name), async (e, args: unknown) => {
      if (!isTrustedSender(e, win, isTrustedUrl)) return FORBIDDEN
      try {
        return { ok: true, result: await studio.invoke(name, args) }
      } catch (err) {
        return { ok: false, error: toErrorInfo(err) }
      }
    })
  }
  if (desktop) {
    for (const name of desktopCommandNames) {
      ipcMain.handle(desktopChannel(name), async (e, args: unknown) => {
        if (!isTrustedSender(e, win, isTrustedUrl)) return FORBIDDEN
        const parsed = desktopCommands[name].args.safeParse(args ?? {})
        if (!parsed.success) return { ok: false, error: { code: 'BAD_ARGS', message: `${name}: ${describeIssues(parsed.error)}` } }
        try {
          const handler = desktop[name] as (a: unknown) => Promise<unknown>
          return { ok: true, result: await handler(parsed.data) }
        } catch (err) {
          return { ok: false, error: toErrorInfo(err) }
        }
      })
    }
  }
  const unsubscribe = studio.subscribe((event) => {
    if (!win.isDestroyed()) win.webContents.send(IPC_EVENT_CHANNEL, event)
  })
  win.on('closed', unsubscribe)
}
