// #12 item 1: one bad WebSocket frame used to end `thaw serve` for everyone ("Unhandled 'error'
// event": the per-connection socket had no error handler). Raw frames over a TCP socket, from a
// client that holds the token: each bad one closes that connection only, with the close code
// RFC 6455 gives it, and the server goes on answering the other clients and new ones.
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { MAX_FRAME_BYTES } from '../../../src/main/server/server'
import type { WsMessage } from '../../../src/shared/contract'
import { startServerProcess, type ServerProcess } from '../../helpers/serverProcess'

// the server runs in a process of its own: an unhandled error would end it, as it ended `thaw serve`
let server: ServerProcess
/** a client connected before the bad frames, that must stay connected through all of them */
let bystander: WebSocket

beforeAll(async () => {
  server = await startServerProcess()
  bystander = await connect()
}, 60_000)
afterAll(async () => {
  bystander?.close()
  await server?.stop()
})

function connect(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=t0k3n`)
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

function ping(ws: WebSocket, id: number): Promise<WsMessage> {
  return new Promise((resolve, reject) => {
    if (ws.readyState !== WebSocket.OPEN) return reject(new Error('the connection is closed'))
    ws.once('close', () => reject(new Error('the connection closed')))
    const onMessage = (data: WebSocket.RawData): void => {
      const m = JSON.parse(data.toString()) as WsMessage
      if (m.id === id) {
        ws.off('message', onMessage)
        resolve(m)
      }
    }
    ws.on('message', onMessage)
    ws.send(JSON.stringify({ id, command: 'ping', args: {} }))
  })
}

/** A raw connection after a hand-made upgrade; `received` collects what the server sends. */
interface Raw {
  socket: net.Socket
  received: () => Buffer
  closed: Promise<void>
}

function rawConnect(): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, '127.0.0.1')
    let buf = Buffer.alloc(0)
    let upgraded = false
    const closed = new Promise<void>((r) => socket.on('close', () => r()))
    socket.on('error', () => undefined) // the server may reset us: that is the point
    void closed.then(() => reject(new Error('closed before the upgrade')))
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d])
      if (upgraded) return
      const end = buf.indexOf('\r\n\r\n')
      if (end < 0) return
      const head = buf.subarray(0, end).toString()
      if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(`no upgrade: ${head}`))
      upgraded = true
      buf = buf.subarray(end + 4)
      resolve({ socket, received: () => buf, closed })
    })
    socket.write(
      [
        `GET /ws?token=t0k3n HTTP/1.1`,
        `Host: 127.0.0.1:${server.port}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
        'Sec-WebSocket-Version: 13',
        '',
        ''
      ].join('\r\n')
    )
  })
}

/** One frame as a client would send it (masked unless told not to); `claimedLength` lies about
 * the payload length, so an oversize frame needs no 16 MiB of data. */
function frame(opcode: number, payload: Buffer, opts: { mask?: boolean; claimedLength?: number } = {}): Buffer {
  const mask = opts.mask ?? true
  const len = opts.claimedLength ?? payload.length
  const head: number[] = [0x80 | opcode]
  const m = mask ? 0x80 : 0
  if (len < 126) head.push(m | len)
  else if (len < 65536) head.push(m | 126, len >> 8, len & 0xff)
  else {
    head.push(m | 127)
    const big = Buffer.alloc(8)
    big.writeBigUInt64BE(BigInt(len))
    head.push(...big)
  }
  if (!mask) return Buffer.concat([Buffer.from(head), payload])
  const key = randomBytes(4)
  const body = Buffer.from(payload.map((b, i) => b ^ key[i % 4]!))
  return Buffer.concat([Buffer.from(head), key, body])
}

/** The frames the server sent (unmasked, as a server sends them): opcode and payload. A frame
 * cut short at the end of what has arrived so far yields what has arrived of it. */
function* frames(data: Buffer): Generator<{ opcode: number; payload: Buffer }> {
  for (let i = 0; i + 1 < data.length; ) {
    const opcode = data[i]! & 0x0f
    let len = data[i + 1]! & 0x7f
    let at = i + 2
    if (len === 126) {
      len = data.readUInt16BE(at)
      at += 2
    }
    yield { opcode, payload: data.subarray(at, at + len) }
    i = at + len
  }
}

/** The close code in the server's close frame (0x88), if it sent one. */
function closeCode(data: Buffer): number | null {
  for (const f of frames(data)) if (f.opcode === 0x8) return f.payload.length >= 2 ? f.payload.readUInt16BE(0) : null
  return null
}

/** Text frames the server sent, parsed as JSON. */
function messages(data: Buffer): unknown[] {
  return [...frames(data)].filter((f) => f.opcode === 0x1).map((f) => JSON.parse(f.payload.toString()) as unknown)
}

async function expectStillServing(): Promise<void> {
  expect(server.stderr()).not.toMatch(/Unhandled|Error/)
  expect(server.alive()).toBe(true)
  expect(await ping(bystander, Math.floor(Math.random() * 1e9))).toMatchObject({ ok: true, result: { now: expect.any(Number) } })
  const fresh = await connect()
  expect(await ping(fresh, 1)).toMatchObject({ ok: true })
  fresh.close()
  const page = await fetch(`http://127.0.0.1:${server.port}/`, { headers: { 'x-thaw-token': 't0k3n' } })
  expect(page.status).toBe(200)
}

describe('a bad frame closes its own connection only', () => {
  const cases: [string, () => Buffer, number][] = [
    ['a text frame of invalid UTF-8', () => frame(0x1, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 1007],
    [`a frame over ${MAX_FRAME_BYTES / 1024 / 1024} MiB`, () => frame(0x1, Buffer.alloc(0), { claimedLength: MAX_FRAME_BYTES + 1 }), 1009],
    ['an unmasked frame', () => frame(0x1, Buffer.from('{"id":1,"command":"ping","args":{}}'), { mask: false }), 1002],
    ['a reserved opcode', () => frame(0x3, Buffer.from('x')), 1002],
    ['a continuation with nothing to continue', () => frame(0x0, Buffer.from('x')), 1002]
  ]
  it.each(cases)('%s', async (_name, bad, code) => {
    const raw = await rawConnect()
    raw.socket.write(bad())
    await raw.closed
    expect(closeCode(raw.received())).toBe(code)
    await expectStillServing()
  })

  it('a binary frame gets BAD_MESSAGE and the connection stays usable', async () => {
    const raw = await rawConnect()
    const answered = new Promise<void>((resolve) => {
      const check = (): void => {
        if (messages(raw.received()).length >= 2) resolve()
      }
      raw.socket.on('data', check)
    })
    raw.socket.write(frame(0x2, Buffer.from('{"id":1,"command":"ping","args":{}}')))
    raw.socket.write(frame(0x1, Buffer.from('{"id":2,"command":"ping","args":{}}')))
    await answered
    const [first, second] = messages(raw.received()) as WsMessage[]
    expect(first).toMatchObject({ id: -1, ok: false, error: { code: 'BAD_MESSAGE', message: expect.stringMatching(/^binary frames are not accepted/) } })
    expect(second).toMatchObject({ id: 2, ok: true })
    raw.socket.destroy()
    await expectStillServing()
  })

  it('a client that resets its connection mid-frame', async () => {
    const raw = await rawConnect()
    raw.socket.write(frame(0x1, Buffer.from('{"id":1,"comm')).subarray(0, 8))
    raw.socket.resetAndDestroy()
    await raw.closed
    await expectStillServing()
  })
})
