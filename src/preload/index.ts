import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { commandNames, IPC_EVENT_CHANNEL, ipcChannel, type StudioEvent } from '../shared/contract'

// One named method per command and an event subscription: nothing else reaches the page, and
// no generic ipcRenderer is exposed. Each method returns the main process's envelope
// ({ ok, result } | { ok: false, error }) so error codes survive the bridge.
const methods: Record<string, (args: unknown) => Promise<unknown>> = {}
for (const name of commandNames) methods[name] = (args) => ipcRenderer.invoke(ipcChannel(name), args)

contextBridge.exposeInMainWorld('thaw', {
  ...methods,
  mediaBase: 'thaw-media://media/',
  onEvent(listener: (event: StudioEvent) => void): () => void {
    const wrapped = (_e: IpcRendererEvent, event: StudioEvent): void => listener(event)
    ipcRenderer.on(IPC_EVENT_CHANNEL, wrapped)
    return () => ipcRenderer.removeListener(IPC_EVENT_CHANNEL, wrapped)
  }
})
