// Browser mode's upload endpoint through the real server: files into <project>/uploads/, checked
// as an import checks them, then imported with the importUploads command over the WebSocket.
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startServer, type RunningServer } from '../../../src/main/server/server'
import { Studio } from '../../../src/main/studio/studio'
import type { WsMessage } from '../../../src/shared/contract'
import type { ImportReport } from '../../../src/shared/types'
import type { UploadResponse } from '../../../src/shared/upload'
import { noisyJpeg } from '../dataset/fixtures'
import { tempDir } from '../../helpers/tmp'

process.env.THAW_CONFIG_DIR ??= tempDir('thaw-config-')

let server: RunningServer
let studio: Studio
let origin: string
let projectDir: string
const TOKEN = 'upl0ad'
const LIMIT = 1024 * 1024
/** generated pictures by number: the same number is the same bytes (the noise is random) */
const made = new Map<number, Buffer>()
async function picture(n: number, width = 64, height = 48): Promise<Buffer> {
  if (!made.has(n)) made.set(n, await noisyJpeg(width, height))
  return made.get(n)!
}

beforeAll(async () => {
  const renderer = tempDir()
  fs.writeFileSync(path.join(renderer, 'index.html'), '<html>studio</html>')
  studio = new Studio()
  server = await startServer(studio, { rendererDir: renderer, token: TOKEN, uploadMaxBytes: LIMIT })
  origin = `http://127.0.0.1:${server.port}`
  projectDir = path.join(tempDir(), 'project')
  await studio.api().createProject({ path: projectDir })
})
afterAll(async () => {
  await server.close()
  await studio.close()
})

interface Sent {
  status: number
  body: UploadResponse
}

/** One POST with node:http, so the Origin header and the body are exactly what the test says. */
function upload(rel: string, body: Buffer, opts: { token?: string; origin?: string | null; length?: number } = {}): Promise<Sent> {
  const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream', 'content-length': opts.length ?? body.length }
  if (opts.origin !== null) headers.origin = opts.origin ?? origin
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: server.port, method: 'POST', path: `/upload?token=${opts.token ?? TOKEN}&path=${encodeURIComponent(rel)}`, headers },
      (res) => {
        let text = ''
        res.on('data', (c: Buffer) => (text += c.toString()))
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as UploadResponse })
          } catch {
            resolve({ status: res.statusCode ?? 0, body: { ok: false, error: { code: 'TEXT', message: text } } })
          }
        })
      }
    )
    req.on('error', reject)
    req.end(body)
  })
}

const uploads = (): string => path.join(projectDir, 'uploads')
/** every file below uploads/, hidden ones included: nothing half-written may be left */
function filesBelow(dir: string): string[] {
  if (!fs.existsSync(dir)) return []
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort()
}

function wsCall(command: string, args: unknown): Promise<WsMessage> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${TOKEN}`)
    ws.once('error', reject)
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as WsMessage
      if (m.id === 1) {
        ws.close()
        resolve(m)
      }
    })
    ws.once('open', () => ws.send(JSON.stringify({ id: 1, command, args })))
  })
}

describe('upload endpoint', () => {
  it('stores a picture under uploads/<class>/ and answers what it did', async () => {
    const r = await upload('ants/one.jpg', await picture(1, 64, 48))
    expect(r.status).toBe(200)
    expect(r.body).toEqual({ ok: true, file: { requested: 'ants/one.jpg', stored: 'ants/one.jpg', status: 'written', bytes: expect.any(Number), note: null } })
    expect(filesBelow(uploads())).toEqual(['ants/one.jpg'])
  })

  it('the same bytes again are unchanged; other bytes of the same name get a new name', async () => {
    expect((await upload('ants/one.jpg', await picture(1, 64, 48))).body).toMatchObject({ ok: true, file: { status: 'unchanged' } })
    const other = await upload('ants/one.jpg', await picture(2, 64, 48))
    expect(other.body).toMatchObject({ ok: true, file: { status: 'written', stored: 'ants/one (2).jpg', note: expect.stringContaining('stored as one (2).jpg') } })
  })

  it('refuses a name with ../ in it, and writes nothing anywhere', async () => {
    const before = filesBelow(uploads())
    for (const rel of ['../escape.jpg', 'ants/../../escape.jpg', '/tmp/escape.jpg', 'ants/.hidden.jpg']) {
      const r = await upload(rel, await picture(99, 32, 32))
      expect(r.status).toBe(400)
      expect(r.body).toMatchObject({ ok: false, error: { code: 'BAD_PATH', message: expect.stringMatching(/^Cannot upload this file: /) } })
    }
    expect(fs.existsSync(path.join(projectDir, 'escape.jpg'))).toBe(false)
    expect(fs.existsSync(path.join(path.dirname(projectDir), 'escape.jpg'))).toBe(false)
    expect(filesBelow(uploads())).toEqual(before)
  })

  it('refuses a non-image by its name and by its content, with the reason', async () => {
    const byName = await upload('ants/notes.txt', Buffer.from('hello'))
    expect(byName.status).toBe(415)
    expect(byName.body).toMatchObject({ ok: false, error: { code: 'NOT_AN_IMAGE' } })
    const byContent = await upload('ants/fake.jpg', Buffer.from('this is a text file, not a photo\n'.repeat(10)))
    expect(byContent.status).toBe(422)
    expect(byContent.body).toMatchObject({ ok: false, error: { code: 'NOT_AN_IMAGE', message: 'Cannot use ants/fake.jpg: not an image (text file).' } })
    expect(filesBelow(uploads())).not.toContain('ants/fake.jpg')
  })

  it("refuses a broken picture with the decoder's reason and leaves no half-written file", async () => {
    const jpeg = await picture(3, 320, 240)
    const r = await upload('bees/cut.jpg', jpeg.subarray(0, Math.floor(jpeg.length / 2)))
    expect(r.status).toBe(422)
    expect(r.body).toMatchObject({ ok: false, error: { code: 'CORRUPT', message: expect.stringMatching(/^Cannot use bees\/cut\.jpg: corrupt or truncated JPEG/) } })
    expect(filesBelow(uploads()).filter((f) => f.startsWith('bees') || f.startsWith('.incoming'))).toEqual([])
  })

  it('refuses a file over the size limit, by its announced length and by what arrives', async () => {
    /** posts `total` bytes in 64 KB chunks, announced or chunked; resolves with the status */
    const post = (rel: string, total: number, announce: boolean): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port: server.port,
            method: 'POST',
            path: `/upload?token=${TOKEN}&path=${rel}`,
            headers: { origin, ...(announce ? { 'content-length': total } : {}) }
          },
          (res) => {
            res.resume()
            resolve(res.statusCode ?? 0)
          }
        )
        req.on('error', reject)
        const chunk = Buffer.alloc(64 * 1024, 0xff)
        let sent = 0
        const more = (): void => {
          while (sent < total) {
            sent += chunk.length
            if (!req.write(chunk)) return void req.once('drain', more)
          }
          req.end()
        }
        more()
      })
    expect(await post('ants/announced.jpg', 2 * LIMIT, true)).toBe(413)
    expect(await post('ants/streamed.jpg', 2 * LIMIT, false)).toBe(413)
    expect(filesBelow(uploads()).some((f) => f.includes('announced') || f.includes('streamed') || f.startsWith('.incoming'))).toBe(false)
  })

  it('needs the token and the page origin', async () => {
    const jpeg = await picture(4, 32, 32)
    expect((await upload('ants/t.jpg', jpeg, { token: 'wrong' })).status).toBe(401)
    // another origin, or none, is forbidden (403) whatever the token (the guard of server/auth.ts)
    expect((await upload('ants/t.jpg', jpeg, { origin: 'http://evil.example' })).status).toBe(403)
    expect((await upload('ants/t.jpg', jpeg, { origin: null })).status).toBe(403)
    expect(filesBelow(uploads())).not.toContain('ants/t.jpg')
  })

  it('imports the uploads folder through the import path; a duplicate of an imported picture is not written again', async () => {
    await upload('bees/b1.jpg', await picture(5, 80, 60))
    const m = await wsCall('importUploads', {})
    expect(m).toMatchObject({ ok: true })
    const report = (m as { result: ImportReport }).result
    expect(report.imported).toBe(3)
    expect(report.classes).toEqual({ ants: 2, bees: 1 })
    expect(report.root).toBe(fs.realpathSync(uploads()))
    const dup = await upload('wasps/copy.jpg', await picture(5, 80, 60))
    expect(dup.body).toMatchObject({ ok: true, file: { status: 'duplicate', stored: '', note: expect.stringContaining('bees/b1.jpg') } })
    expect(filesBelow(uploads()).some((f) => f.startsWith('wasps'))).toBe(false)
  })
})
