import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron'
import { commandNames, desktopChannel, desktopCommandNames, IPC_EVENT_CHANNEL, ipcChannel, type StudioEvent } from '../shared/contract'

// One named method per command and an event subscription: nothing else reaches the page, and
// no generic ipcRenderer is exposed. Each method returns the main process's envelope
// ({ ok, result } | { ok: false, error }) so error codes survive the bridge.
const methods: Record<string, (args: unknown) => Promise<unknown>> = {}
for (const name of commandNames) methods[name] = (args) => ipcRenderer.invoke(ipcChannel(name), args)

// The desktop shell's own commands (the contract's desktopCommands: OS folder picker, Show in
// folder), the same way, and the path of a file or folder dropped on the window. Electron 32
// removed File.path; webUtils.getPathForFile is its replacement and works only here, in the
// preload (it is one of the modules a sandboxed preload may use).
const desktop: Record<string, unknown> = {
  pathForFile: (file: File): string => webUtils.getPathForFile(file)
}
for (const name of desktopCommandNames) desktop[name] = (args: unknown) => ipcRenderer.invoke(desktopChannel(name), args)

contextBridge.exposeInMainWorld('thaw', {
  ...methods,
  desktop,
  mediaBase: 'thaw-media://media/',
  onEvent(listener: (event: StudioEvent) => void): () => void {
    const wrapped = (_e: IpcRendererEvent, event: StudioEvent): void => listener(event)
    ipcRenderer.on(IPC_EVENT_CHANNEL, wrapped)
    return () => ipcRenderer.removeListener(IPC_EVENT_CHANNEL, wrapped)
  }
})
