// The renderer never knows which transport it has: Electron's preload bridge or browser mode's
// WebSocket. Both carry the same contract; this file hides the difference.
import {
  commandNames,
  type CommandName,
  type ErrorInfo,
  type StudioApi,
  type StudioEvent,
  type WsMessage
} from '../../../shared/contract'
import { UPLOAD_PATH } from '../../../shared/upload'
import { StudioError } from './studioError'

export { StudioError }

type Envelope = { ok: true; result: unknown } | { ok: false; error: ErrorInfo }

interface PreloadBridge {
  mediaBase: string
  onEvent(listener: (e: StudioEvent) => void): () => void
  [command: string]: unknown
}

export interface Transport {
  readonly kind: 'electron' | 'browser'
  call(name: CommandName, args: unknown): Promise<unknown>
  onEvent(listener: (e: StudioEvent) => void): () => void
  /** URL of a thumbnail (by content hash) or a full image (by id) */
  mediaUrl(kind: 'thumb' | 'image', key: string | number): string
  /** browser mode: where one file is POSTed into the project's uploads folder (null in the
   * desktop app, which imports dropped folders where they are) */
  uploadUrl(relPath: string): string | null
  /** for the connection badge; 'unresponsive': connected, but the studio stopped answering */
  onStatus(listener: (status: ConnectionStatus) => void): () => void
}

export type ConnectionStatus = 'open' | 'connecting' | 'closed' | 'unresponsive'

/** The heartbeat: a ping this often, and "Not responding" when one goes unanswered this long
 * (a blocked studio keeps its socket open, so only an unanswered request shows it). */
export const HEARTBEAT_MS = 2000
export const UNRESPONSIVE_MS = 6000

function electronTransport(bridge: PreloadBridge): Transport {
  return {
    kind: 'electron',
    async call(name, args) {
      const method = bridge[name] as ((a: unknown) => Promise<Envelope>) | undefined
      if (!method) throw new StudioError('UNKNOWN_COMMAND', `the app does not offer ${name}`)
      const env = await method(args)
      if (!env.ok) throw new StudioError(env.error.code, env.error.message)
      return env.result
    },
    onEvent: (l) => bridge.onEvent(l),
    mediaUrl: (kind, key) => `${bridge.mediaBase}${kind}/${encodeURIComponent(String(key))}`,
    uploadUrl: () => null,
    onStatus: (l) => {
      l('open')
      return () => undefined
    }
  }
}

function browserTransport(): Transport {
  // The token reached the server once, in the address `thaw serve` printed; the server traded it
  // for an HttpOnly session cookie and redirected to the bare address. The WebSocket and media
  // requests carry that cookie, so the token is in no URL, no history entry and no Referer.
  const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  const listeners = new Set<(e: StudioEvent) => void>()
  const statusListeners = new Set<(s: ConnectionStatus) => void>()
  let nextId = 1
  let socket: WebSocket
  let opened: Promise<void>
  let retry = 250
  let status: ConnectionStatus = 'connecting'
  /** when the oldest unanswered heartbeat was sent (null: none outstanding) */
  let pingSince: number | null = null

  const setStatus = (s: ConnectionStatus): void => {
    status = s
    statusListeners.forEach((l) => l(s))
  }

  function send(name: CommandName, args: unknown): Promise<unknown> {
    const id = nextId++
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject })
      socket.send(JSON.stringify({ id, command: name, args }))
    })
  }

  function heartbeat(): void {
    if (socket.readyState !== WebSocket.OPEN) return
    const now = Date.now()
    if (pingSince !== null) {
      if (now - pingSince > UNRESPONSIVE_MS && status === 'open') setStatus('unresponsive')
      return
    }
    pingSince = now
    send('ping', {}).then(
      () => {
        pingSince = null
        if (status === 'unresponsive') setStatus('open')
      },
      () => (pingSince = null)
    )
  }
  setInterval(heartbeat, HEARTBEAT_MS)

  function connect(): void {
    setStatus('connecting')
    pingSince = null
    socket = new WebSocket(wsUrl)
    opened = new Promise((resolve, reject) => {
      socket.addEventListener('open', () => {
        retry = 250
        setStatus('open')
        resolve()
      })
      socket.addEventListener('error', () => reject(new StudioError('DISCONNECTED', 'cannot reach the studio server')))
    })
    opened.catch(() => undefined)
    socket.addEventListener('message', (m) => {
      const msg = JSON.parse(String(m.data)) as WsMessage
      if (msg.id === undefined) {
        listeners.forEach((l) => l(msg as StudioEvent))
        return
      }
      const p = pending.get(msg.id)
      if (!p) return
      pending.delete(msg.id)
      if (msg.ok) p.resolve(msg.result)
      else p.reject(new StudioError(msg.error.code, msg.error.message))
    })
    socket.addEventListener('close', () => {
      for (const p of pending.values()) p.reject(new StudioError('DISCONNECTED', 'lost the connection to the studio server'))
      pending.clear()
      setStatus('closed')
      setTimeout(connect, retry)
      retry = Math.min(retry * 2, 5000)
    })
  }
  connect()

  return {
    kind: 'browser',
    async call(name, args) {
      await opened
      return send(name, args)
    },
    onEvent(l) {
      listeners.add(l)
      return () => listeners.delete(l)
    },
    mediaUrl: (kind, key) => `/media/${kind}/${encodeURIComponent(String(key))}`,
    // the session cookie carries the token, as for media
    uploadUrl: (relPath) => `${UPLOAD_PATH}?path=${encodeURIComponent(relPath)}`,
    onStatus(l) {
      statusListeners.add(l)
      return () => statusListeners.delete(l)
    }
  }
}

const bridge = (globalThis as { thaw?: PreloadBridge }).thaw
export const transport: Transport = bridge ? electronTransport(bridge) : browserTransport()

/** Typed commands: `api.openProject({ path })`. */
export const api = Object.fromEntries(
  commandNames.map((name) => [name, (args: unknown) => transport.call(name, args ?? {})])
) as unknown as StudioApi
