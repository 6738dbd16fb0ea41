import { randomBytes, timingSafeEqual } from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import type { WsMessage, WsRequest } from '../../shared/contract'
import { toErrorInfo } from '../errors'
import { readMedia } from '../media/media'
import type { Studio } from '../studio/studio'
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
  close(): Promise<void>
}

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

function sameToken(given: string | null, token: string): boolean {
  if (!given) return false
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** Browser mode: serves the built renderer and carries the contract over a WebSocket. Bound to
 * 127.0.0.1 with a random token by default; the Host header is checked against DNS rebinding. */
export async function startServer(studio: Studio, opts: ServerOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1'
  const token = opts.token ?? randomBytes(16).toString('hex')
  const root = path.resolve(opts.rendererDir)
  if (!fs.existsSync(path.join(root, 'index.html'))) {
    throw new Error(`the studio's web page is not built (${root}/index.html is missing); run "npm run build"`)
  }
  let port = opts.port ?? 0
  const allowedHost = (h: string | undefined): boolean =>
    !!h && [`127.0.0.1:${port}`, `localhost:${port}`, `${host}:${port}`, `[::1]:${port}`].includes(h)

  /** the Origin a page served by this server sends (browsers send it with every POST) */
  const sameOrigin = (origin: string | undefined): boolean => !!origin && origin.startsWith('http://') && allowedHost(origin.slice('http://'.length))

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (!allowedHost(req.headers.host)) {
      res.writeHead(403).end('forbidden host')
      return
    }
    if (url.pathname === UPLOAD_PATH) {
      // a write into the project: the token, and the page's own origin (a form on another site
      // cannot send it, and one that guessed the token still could not post from elsewhere)
      if (!sameToken(url.searchParams.get('token'), token) || !sameOrigin(req.headers.origin)) {
        req.resume()
        res.writeHead(401, { connection: 'close' }).end('missing or wrong token, or another origin')
        return
      }
      void handleUpload(studio, req, res, url, opts.uploadMaxBytes)
      return
    }
    const media = /^\/media\/(thumb|image)\/([^/]+)$/.exec(url.pathname)
    if (media) {
      if (!sameToken(url.searchParams.get('token'), token)) {
        res.writeHead(401).end('missing or wrong token')
        return
      }
      const project = studio.maybeProject()
      if (!project) {
        res.writeHead(404).end('no project open')
        return
      }
      readMedia(project, media[1]!, media[2]!).then(
        (m) => res.writeHead(200, { 'content-type': m.contentType, 'cache-control': 'private, max-age=3600' }).end(m.body),
        (err: Error) => res.writeHead(404).end(err.message)
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
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-cache'
    })
    fs.createReadStream(found.file).pipe(res)
  })

  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 })
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (url.pathname !== '/ws' || !allowedHost(req.headers.host) || !sameToken(url.searchParams.get('token'), token)) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n')
      socket.destroy()
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
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate()
        wss.close()
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

function serveClient(studio: Studio, ws: WebSocket): void {
  const send = (m: WsMessage): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m))
  }
  const unsubscribe = studio.subscribe((e) => send(e))
  ws.on('close', unsubscribe)
  ws.on('message', (data) => {
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
