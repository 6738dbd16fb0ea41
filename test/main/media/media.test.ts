// #12 item 2: `ln -s /etc/shadow cls/shadow.png` in an imported folder was listed as a problem by
// the import, yet /media/image/<id> served the file it points to. Media now serves only usable
// images, by their real path, inside the folder they were imported from, and thumbnails from the
// project's own folder: here through the browser-mode server, as an attacker would ask.
import fs from 'node:fs'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readMedia, sniffWebImage, thumbnailFile } from '../../../src/main/media/media'
import { startServer, type RunningServer } from '../../../src/main/server/server'
import { Studio } from '../../../src/main/studio/studio'
import { tempDir } from '../../helpers/tmp'

process.env.THAW_CONFIG_DIR = tempDir('thaw-config-')

const SECRET = 'root:$6$not-for-your-eyes:19000:0:99999:7:::\n'

let studio: Studio
let server: RunningServer
let root: string
let secret: string
let ids: Map<string, number>

const png = (r: number): Promise<Buffer> => sharp({ create: { width: 8, height: 8, channels: 3, background: { r, g: 0, b: 0 } } }).png().toBuffer()

async function media(kind: string, key: string | number): Promise<{ status: number; body: Buffer; type: string | null }> {
  const r = await fetch(`http://127.0.0.1:${server.port}/media/${kind}/${key}?token=t0k3n`)
  return { status: r.status, body: Buffer.from(await r.arrayBuffer()), type: r.headers.get('content-type') }
}

beforeAll(async () => {
  const work = tempDir()
  secret = path.join(work, 'shadow')
  fs.writeFileSync(secret, SECRET)
  root = path.join(work, 'images')
  for (const cls of ['ants', 'bees']) fs.mkdirSync(path.join(root, cls), { recursive: true })
  fs.writeFileSync(path.join(root, 'ants', 'a.png'), await png(10))
  fs.writeFileSync(path.join(root, 'ants', 'b.png'), await png(20))
  fs.writeFileSync(path.join(root, 'bees', 'c.png'), await png(30))
  fs.writeFileSync(path.join(root, 'bees', 'd.png'), await png(40))
  fs.writeFileSync(path.join(work, 'outside.png'), await png(50))
  fs.symlinkSync(secret, path.join(root, 'bees', 'shadow.png'))
  // an image reached through a link that leads out of the imported folder
  fs.symlinkSync(path.join(work, 'outside.png'), path.join(root, 'bees', 'outside.png'))

  const renderer = tempDir()
  fs.writeFileSync(path.join(renderer, 'index.html'), '<html></html>')
  studio = new Studio()
  const api = studio.api()
  await api.createProject({ path: path.join(work, 'project') })
  await api.importFolder({ root })
  const page = await api.queryImages({})
  ids = new Map(page.items.map((i) => [path.basename(i.name), i.id]))
  server = await startServer(studio, { rendererDir: renderer, token: 't0k3n' })
}, 120_000)

afterAll(async () => {
  await server?.close()
  await studio?.close()
})

describe('full images', () => {
  it('serves a usable image, typed by its bytes', async () => {
    const r = await media('image', ids.get('a.png')!)
    expect(r.status).toBe(200)
    expect(r.type).toBe('image/png')
    expect(r.body.equals(fs.readFileSync(path.join(root, 'ants', 'a.png')))).toBe(true)
  })

  it('never serves what a symlink the import refused points to', async () => {
    const id = ids.get('shadow.png')
    expect(id).toBeDefined()
    const r = await media('image', id!)
    expect(r.status).toBe(404)
    expect(r.body.toString()).toMatch(/is not a usable image \(problem\)/)
    expect(r.body.toString()).not.toContain('not-for-your-eyes')
  })

  it('never serves an image swapped for a link after the import', async () => {
    const file = path.join(root, 'ants', 'b.png')
    fs.rmSync(file)
    fs.symlinkSync(secret, file)
    const r = await media('image', ids.get('b.png')!)
    expect(r.status).toBe(404)
    expect(r.body.toString()).toMatch(/not inside the folder it was imported from/)
    expect(r.body.toString()).not.toContain('not-for-your-eyes')
  })

  it('refuses a link that leads out of the imported folder, even to an image', async () => {
    const r = await media('image', ids.get('outside.png')!)
    expect(r.status).toBe(404)
    await expect(readMedia(studio.project(), 'image', String(ids.get('outside.png')))).rejects.toMatchObject({ code: 'MEDIA_OUTSIDE' })
  })

  it('refuses a file inside the folder that is no longer an image', async () => {
    const file = path.join(root, 'bees', 'd.png')
    fs.writeFileSync(file, SECRET)
    const r = await media('image', ids.get('d.png')!)
    expect(r.status).toBe(404)
    expect(r.body.toString()).not.toContain('not-for-your-eyes')
    await expect(readMedia(studio.project(), 'image', String(ids.get('d.png')))).rejects.toMatchObject({ code: 'MEDIA_NOT_USABLE' })
  })
})

describe('thumbnails', () => {
  it('serves the project thumbnails', async () => {
    const detail = await studio.api().imageDetail({ id: ids.get('c.png')! })
    const r = await media('thumb', detail.hash!)
    expect(r.status).toBe(200)
    expect(sniffWebImage(r.body)).toBe('image/webp')
  })

  it('never serves a link planted in the thumbnail folder', async () => {
    const hash = 'f'.repeat(64)
    const file = thumbnailFile(studio.project(), hash)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.symlinkSync(secret, file)
    const r = await media('thumb', hash)
    expect(r.status).toBe(404)
    expect(r.body.toString()).not.toContain('not-for-your-eyes')
  })
})
