import { ThawError } from '../errors'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import path from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import type { WsMessage, WsRequest } from '../../shared/contract'
import { toErrorInfo } from '../errors'
import { readMedia } from '../media/media'
import type { Studio } from '../studio/studio'
import { createGuard, type Refusal, type RequestGuard, type Verdict } from './auth'
import { staticFile } from './static'
import { UPLOAD_PATH } from '../../shared/upload'
import { handleUpload } from './upload'

export interface ServerOptions {
  /** folder of the built renderer (out/renderer) */
  rendererDir: string
  host?: string
  port?: number
  /** random by default; every request for data or media must carry it */
  token?: string
  /** largest file one upload takes (UPLOAD_MAX_BYTES by default) */
  uploadMaxBytes?: number
}

export interface RunningServer {
  url: string
  port: number
  token: string
  /** the Host/Origin/token check, for endpoints added beside the built-in ones */
  guard: RequestGuard
  close(): Promise<void>
}

/** The largest WebSocket frame a client may send (ws closes the connection with 1009 above it). */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024

const CSP = [
  "default-src 'self'",
  // TF.js runs in the engine workers, never in the page: no wasm-unsafe-eval needed here
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'"
].join('; ')

/** Headers every response carries: no Referer ever leaves a studio page (its URLs are private),
 * and no content sniffing. */
const COMMON_HEADERS = { 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff' } as const

const SIGN_IN_PAGE = `<!doctype html><meta charset="utf-8"><title>Thaw Studio</title>
<p>This page needs the address that <code>thaw serve</code> printed (it ends in <code>?token=...</code>). Open that address once; the studio then remembers this browser until the server stops.</p>`

/** Browser mode: serves the built renderer and carries the contract over a WebSocket. Bound to
 * 127.0.0.1 with a random token by default; Host and Origin are checked (auth.ts). */
export async function startServer(studio: Studio, opts: ServerOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1'
  const token = opts.token ?? randomBytes(16).toString('hex')
  const root = path.resolve(opts.rendererDir)
  if (!fs.existsSync(path.join(root, 'index.html'))) {
    throw new ThawError('NOT_BUILT', `the studio's web page is not built (${root}/index.html is missing); run "npm run build"`)
  }
  let port = opts.port ?? 0
  const guard = createGuard({ token, host, port: () => port })
  const refuse = (res: http.ServerResponse, v: Refusal): void => void res.writeHead(v.status, { 'content-type': 'text/plain; charset=utf-8' }).end(v.reason)

  const server = http.createServer((req, res) => {
    for (const [k, v] of Object.entries(COMMON_HEADERS)) res.setHeader(k, v)
    const url = new URL(req.url ?? '/', 'http://x')
    const media = /^\/media\/(thumb|image)\/([^/]+)$/.exec(url.pathname)
    const isPage = url.pathname === '/' || url.pathname === '/index.html'
    // the page and media need the token; the page's scripts and styles are the public build
    const verdict = guard.check(req, { token: !!media || isPage })
    if (!verdict.ok) {
      if (isPage && verdict.status === 401 && !url.searchParams.has('token')) {
        res.writeHead(401, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CSP }).end(SIGN_IN_PAGE)
      } else refuse(res, verdict)
      return
    }
    if (isPage && url.searchParams.has('token')) {
      // trade the token in the address for the session cookie, and show the bare address
      url.searchParams.delete('token')
      res.writeHead(303, { 'set-cookie': guard.sessionCookie(), location: `/${url.search}`, 'cache-control': 'no-store' }).end()
      return
    }
    if (url.pathname === UPLOAD_PATH) {
      // a write into the project: the token (session cookie, ?token= or x-thaw-token), and the
      // page's own origin, which browsers send with every POST (a form on another site cannot)
      const upload = req.headers.origin === undefined ? { ok: false as const, status: 403 as const, reason: 'an upload must come from the studio page (no Origin)' } : verdict
      if (!upload.ok || !guard.hasToken(req)) {
        req.resume()
        res.writeHead(upload.ok ? 401 : upload.status, { connection: 'close' }).end(upload.ok ? 'missing or wrong token' : upload.reason)
        return
      }
      void handleUpload(studio, req, res, url, opts.uploadMaxBytes)
      return
    }
    if (media) {
      const project = studio.maybeProject()
      if (!project) {
        res.writeHead(404).end('no project open')
        return
      }
      readMedia(project, media[1]!, media[2]!).then(
        (m) => res.writeHead(200, { 'content-type': m.contentType, 'cache-control': 'private, max-age=3600' }).end(m.body),
        (err: Error) => res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(err.message)
      )
      return
    }
    const found = req.method === 'GET' ? staticFile(root, url.pathname) : null
    if (!found) {
      res.writeHead(404).end('not found')
      return
    }
    res.writeHead(200, {
      'content-type': found.type,
      'content-security-policy': CSP,
      'cache-control': 'no-cache'
    })
    fs.createReadStream(found.file).pipe(res)
  })

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES })
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    // a client that resets mid-handshake must not take the process with it
    socket.on('error', () => socket.destroy())
    const url = new URL(req.url ?? '/', 'http://x')
    const verdict: Verdict = url.pathname === '/ws' ? guard.check(req, { token: true }) : { ok: false, status: 403, reason: 'not found' }
    if (!verdict.ok) {
      const status = verdict.status === 401 ? '401 Unauthorized' : '403 Forbidden'
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${verdict.reason}`)
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveClient(studio, ws))
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  port = (server.address() as AddressInfo).port
  return {
    url: `http://${host}:${port}/?token=${token}`,
    port,
    token,
    guard,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate()
        wss.close()
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

/** One client. A bad frame (invalid UTF-8, over the size limit, unmasked, a broken header) makes
 * ws emit 'error' and close that connection with the matching close code; without a listener
 * the error was unhandled and ended the whole server, for every client. */
function serveClient(studio: Studio, ws: WebSocket): void {
  const send = (m: WsMessage): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m))
  }
  const unsubscribe = studio.subscribe((e) => send(e))
  ws.on('close', unsubscribe)
  ws.on('error', () => {
    unsubscribe()
    ws.terminate()
  })
  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      send({ id: -1, ok: false, error: { code: 'BAD_MESSAGE', message: 'binary frames are not accepted: send JSON text {id, command, args}' } })
      return
    }
    let req: WsRequest
    try {
      req = JSON.parse(data.toString()) as WsRequest
      if (typeof req !== 'object' || req === null || !Number.isInteger(req.id)) throw new Error('no id')
    } catch {
      send({ id: -1, ok: false, error: { code: 'BAD_MESSAGE', message: 'a message must be JSON {id, command, args}' } })
      return
    }
    studio.invoke(req.command, req.args).then(
      (result) => send({ id: req.id, ok: true, result }),
      (err: unknown) => send({ id: req.id, ok: false, error: toErrorInfo(err) })
    )
  })
}
