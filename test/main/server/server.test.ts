import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startServer, type RunningServer } from '../../../src/main/server/server'
import { Studio } from '../../../src/main/studio/studio'
import type { WsMessage } from '../../../src/shared/contract'
import { tempDir } from '../../helpers/tmp'

process.env.THAW_CONFIG_DIR = tempDir('thaw-config-')

let server: RunningServer
let studio: Studio
let base: string

beforeAll(async () => {
  const renderer = tempDir()
  fs.writeFileSync(path.join(renderer, 'index.html'), '<html>studio</html>')
  fs.writeFileSync(path.join(tempDir(), 'secret.txt'), 'secret')
  studio = new Studio()
  server = await startServer(studio, { rendererDir: renderer, token: 't0k3n' })
  base = `http://127.0.0.1:${server.port}`
})
afterAll(async () => {
  await server.close()
  studio.close()
})

function connect(token = 't0k3n'): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${token}`)
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

function call(ws: WebSocket, id: number, command: string, args: unknown): Promise<WsMessage> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData): void => {
      const m = JSON.parse(data.toString()) as WsMessage
      if (m.id === id) {
        ws.off('message', onMessage)
        resolve(m)
      }
    }
    ws.on('message', onMessage)
    ws.send(JSON.stringify({ id, command, args }))
  })
}

describe('browser-mode server', () => {
  it('serves the page with a CSP and nothing outside the renderer folder', async () => {
    const page = await fetch(`${base}/`, { headers: { 'x-thaw-token': 't0k3n' } })
    expect(page.status).toBe(200)
    expect(await page.text()).toBe('<html>studio</html>')
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'(;|$)/)
    expect((await fetch(`${base}/../secret.txt`)).status).toBe(404)
    expect((await fetch(`${base}/%2e%2e/%2e%2e/etc/passwd`)).status).toBe(404)
  })

  it('refuses foreign Host headers (DNS rebinding)', async () => {
    const http = await import('node:http')
    const status = await new Promise<number>((resolve) => {
      http.get({ host: '127.0.0.1', port: server.port, path: '/', headers: { host: 'evil.example:80' } }, (res) => resolve(res.statusCode!))
    })
    expect(status).toBe(403)
  })

  it('needs the token for media and for the WebSocket', async () => {
    expect((await fetch(`${base}/media/thumb/${'a'.repeat(64)}`)).status).toBe(401)
    await expect(connect('wrong')).rejects.toThrow(/401/)
  })

  it('answers commands, validates them, and survives garbage', async () => {
    const ws = await connect()
    expect(await call(ws, 1, 'currentProject', {})).toEqual({ id: 1, ok: true, result: null })
    expect(await call(ws, 2, 'nope', {})).toMatchObject({ id: 2, ok: false, error: { code: 'UNKNOWN_COMMAND' } })
    expect(await call(ws, 3, 'openProject', { path: 42 })).toMatchObject({ ok: false, error: { code: 'BAD_ARGS' } })
    const garbage = new Promise<WsMessage>((resolve) => ws.once('message', (d) => resolve(JSON.parse(d.toString()) as WsMessage)))
    ws.send('{not json')
    expect(await garbage).toMatchObject({ id: -1, ok: false, error: { code: 'BAD_MESSAGE' } })
    expect(await call(ws, 4, 'currentProject', {})).toMatchObject({ id: 4, ok: true })
    ws.close()
  })

  it('pushes events to every client', async () => {
    const a = await connect()
    const b = await connect()
    const seen = new Promise<unknown>((resolve) =>
      b.on('message', (d) => {
        const m = JSON.parse(d.toString()) as WsMessage
        if (m.id === undefined) resolve(m)
      })
    )
    const dir = path.join(tempDir(), 'p')
    expect(await call(a, 1, 'createProject', { path: dir })).toMatchObject({ ok: true })
    expect(await seen).toMatchObject({ event: 'projectChanged', payload: { path: dir } })
    a.close()
    b.close()
  })
})
