// #12 item 3: the WebSocket took any Origin (only the token protected it) and the token stayed
// in the page's address, where history, Referer headers and screenshots show it.
import fs from 'node:fs'
import type { IncomingMessage } from 'node:http'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createGuard } from '../../../src/main/server/auth'
import { startServer, type RunningServer } from '../../../src/main/server/server'
import { Studio } from '../../../src/main/studio/studio'
import { tempDir } from '../../helpers/tmp'

process.env.THAW_CONFIG_DIR = tempDir('thaw-config-')

let server: RunningServer
let studio: Studio
let base: string
let cookie: string

beforeAll(async () => {
  const renderer = tempDir()
  fs.writeFileSync(path.join(renderer, 'index.html'), '<html>studio</html>')
  fs.writeFileSync(path.join(renderer, 'app.js'), 'console.log(1)')
  studio = new Studio()
  server = await startServer(studio, { rendererDir: renderer, token: 't0k3n' })
  base = `http://127.0.0.1:${server.port}`
  cookie = `thaw_token_${server.port}=t0k3n`
})
afterAll(async () => {
  await server.close()
  await studio.close()
})

/** Opens the WebSocket with these headers; resolves 'open' or the HTTP status it was refused with. */
function tryConnect(query: string, headers: Record<string, string> = {}): Promise<'open' | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws${query}`, { headers })
    ws.once('open', () => {
      ws.close()
      resolve('open')
    })
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    ws.once('error', () => undefined)
  })
}

describe('Origin', () => {
  it('refuses a foreign page, a sandboxed one (null) and a mismatched host', async () => {
    expect(await tryConnect('?token=t0k3n', { origin: 'http://evil.example' })).toBe(403)
    expect(await tryConnect('?token=t0k3n', { origin: 'null' })).toBe(403)
    expect(await tryConnect('?token=t0k3n', { origin: `http://localhost:${server.port}` })).toBe(403)
    expect(await tryConnect('?token=t0k3n', { origin: `http://127.0.0.1:${server.port + 1}` })).toBe(403)
    expect(await tryConnect('', { origin: 'http://evil.example', cookie })).toBe(403)
  })

  it("allows the studio's own page and clients without an Origin (the CLI, scripts)", async () => {
    expect(await tryConnect('?token=t0k3n', { origin: `http://127.0.0.1:${server.port}` })).toBe('open')
    expect(await tryConnect('?token=t0k3n')).toBe('open')
    expect(await tryConnect('', { origin: `http://127.0.0.1:${server.port}`, cookie })).toBe('open')
  })

  it('refuses media asked for by a foreign page even with the token', async () => {
    const r = await fetch(`${base}/media/thumb/${'a'.repeat(64)}?token=t0k3n`, { headers: { origin: 'http://evil.example' } })
    expect(r.status).toBe(403)
  })
})

describe('the token leaves the address after the first load', () => {
  it('the first load trades ?token= for an HttpOnly SameSite=Strict cookie and redirects to the bare address', async () => {
    const r = await fetch(`${base}/?token=t0k3n`, { redirect: 'manual' })
    expect(r.status).toBe(303)
    expect(r.headers.get('location')).toBe('/')
    expect(r.headers.get('set-cookie')).toBe(`thaw_token_${server.port}=t0k3n; HttpOnly; SameSite=Strict; Path=/`)
    expect(r.headers.get('referrer-policy')).toBe('no-referrer')
    const page = await fetch(`${base}/`, { headers: { cookie } })
    expect(page.status).toBe(200)
    expect(await page.text()).toBe('<html>studio</html>')
  })

  it('the WebSocket and media need no token in their URL once the cookie is set', async () => {
    expect(await tryConnect('', { cookie })).toBe('open')
    expect((await fetch(`${base}/media/thumb/${'a'.repeat(64)}`, { headers: { cookie } })).status).toBe(404) // no project open: past the check
  })

  it('without the token or with a wrong one: a page that says what to open, and refusals', async () => {
    const page = await fetch(`${base}/`)
    expect(page.status).toBe(401)
    expect(await page.text()).toMatch(/needs the address that <code>thaw serve<\/code> printed/)
    expect((await fetch(`${base}/?token=wrong`, { redirect: 'manual' })).status).toBe(401)
    expect(await tryConnect('', { cookie: `thaw_token_${server.port}=wrong` })).toBe(401)
    expect(await tryConnect('', { cookie: `thaw_token_1=t0k3n` })).toBe(401) // another port's studio
    expect((await fetch(`${base}/media/thumb/${'a'.repeat(64)}`)).status).toBe(401)
  })

  it('every response says Referrer-Policy: no-referrer, the public build included', async () => {
    for (const url of [`${base}/app.js`, `${base}/missing`, `${base}/`, `${base}/media/image/1`]) {
      expect((await fetch(url, { redirect: 'manual' })).headers.get('referrer-policy')).toBe('no-referrer')
    }
    expect((await fetch(`${base}/app.js`)).status).toBe(200)
  })
})

describe('the guard other endpoints reuse', () => {
  const guard = createGuard({ token: 't0k3n', host: '127.0.0.1', port: () => 4173 })
  const req = (headers: Record<string, string>, url = '/upload'): IncomingMessage => ({ headers, url }) as unknown as IncomingMessage

  it('checks Host, then Origin, then the token, in that order', () => {
    expect(guard.check(req({ host: 'evil.example:4173', 'x-thaw-token': 't0k3n' }), { token: true })).toEqual({ ok: false, status: 403, reason: 'forbidden host' })
    expect(guard.check(req({ host: '127.0.0.1:4173', origin: 'http://evil.example', 'x-thaw-token': 't0k3n' }), { token: true })).toEqual({
      ok: false,
      status: 403,
      reason: 'forbidden origin http://evil.example'
    })
    expect(guard.check(req({ host: '127.0.0.1:4173', origin: 'http://127.0.0.1:4173' }), { token: true })).toEqual({ ok: false, status: 401, reason: 'missing or wrong token' })
    expect(guard.check(req({ host: '127.0.0.1:4173', origin: 'http://127.0.0.1:4173' }), { token: false })).toEqual({ ok: true })
  })

  it('takes the token from the cookie, the query or the x-thaw-token header, and a stale cookie does not hide a fresh one', () => {
    const host = '127.0.0.1:4173'
    expect(guard.check(req({ host, cookie: 'a=b; thaw_token_4173=t0k3n' }), { token: true }).ok).toBe(true)
    expect(guard.check(req({ host }, '/upload?token=t0k3n'), { token: true }).ok).toBe(true)
    expect(guard.check(req({ host, 'x-thaw-token': 't0k3n' }), { token: true }).ok).toBe(true)
    expect(guard.check(req({ host, cookie: 'thaw_token_4173=old' }, '/?token=t0k3n'), { token: true }).ok).toBe(true)
    expect(guard.check(req({ host, cookie: 'thaw_token_4173=t0k3nn' }), { token: true }).ok).toBe(false)
  })
})
