import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { COMPLETE_STAMP, defaultCacheDir, isComplete } from '../../../src/main/backbones/cache'
import { fetchBackbone, type FetchProgress } from '../../../src/main/backbones/fetch'
import { builtinBackbone } from '../../../src/main/backbones/registry'
import type { BackboneFile, BackboneSpec } from '../../../src/main/backbones/types'
import { BACKBONE_MIRROR, tempDir } from '../../helpers/tmp'
import { closedPort, startMirrorServer, type MirrorServer } from './mirror-server'

const V2 = builtinBackbone('mobilenet_v2_1.0_224') as BackboneSpec
const V1 = builtinBackbone('mobilenet_v1_0.75_224') as BackboneSpec
const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex')

/** A made-up backbone with small files, served from a temp mirror, for the failure cases. */
function tinyMirror(files: { name: string; content: Buffer; optional?: boolean; claim?: Buffer }[]): { mirror: string; spec: BackboneSpec } {
  const mirror = tempDir('thaw-mirror-')
  fs.mkdirSync(path.join(mirror, 'tiny'))
  for (const file of files) fs.writeFileSync(path.join(mirror, 'tiny', file.name), file.content)
  const specFiles: BackboneFile[] = files.map((file) => ({
    name: file.name,
    bytes: (file.claim ?? file.content).length,
    sha256: sha256(file.claim ?? file.content),
    role: file.name === 'model.json' ? 'model' : 'weights',
    ...(file.optional ? { optional: true } : {})
  }))
  return { mirror, spec: { ...V2, id: 'tiny', files: specFiles } }
}

/** Everything left in a cache folder: no temp files may survive a failure. */
const leftovers = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [])

describe('fetchBackbone from a folder mirror', () => {
  const cacheDir = tempDir('thaw-cache-')
  const progress: FetchProgress[] = []

  it('copies and verifies every file, reporting monotonic byte progress up to the total', async () => {
    const fetched = await fetchBackbone(V2, { cacheDir, mirror: BACKBONE_MIRROR, onProgress: (p) => progress.push(p) })
    expect(fetched.wasCached).toBe(false)
    const total = V2.files.reduce((sum, f) => sum + f.bytes, 0)
    expect(progress.at(-1)).toMatchObject({ id: V2.id, bytesDone: total, bytesTotal: total })
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.bytesDone).toBeGreaterThanOrEqual(progress[i - 1]!.bytesDone)
    for (const file of V2.files) expect(sha256(fs.readFileSync(path.join(fetched.dir, file.name)))).toBe(file.sha256)
    expect(leftovers(fetched.dir)).toEqual([COMPLETE_STAMP, ...V2.files.map((f) => f.name)].sort())
  })

  it('is offline afterwards: a complete cache needs no mirror at all', async () => {
    const again = await fetchBackbone(V2, { cacheDir, mirror: `http://127.0.0.1:${await closedPort()}`, onProgress: () => expect.fail('no progress expected') })
    expect(again.wasCached).toBe(true)
    expect([...again.files.keys()].sort()).toEqual(V2.files.map((f) => f.name).sort())
  })

  it('reads THAW_MODEL_MIRROR when no mirror is given', async () => {
    const saved = process.env['THAW_MODEL_MIRROR']
    process.env['THAW_MODEL_MIRROR'] = BACKBONE_MIRROR
    try {
      expect((await fetchBackbone(V2, { cacheDir: tempDir() })).wasCached).toBe(false)
    } finally {
      if (saved === undefined) delete process.env['THAW_MODEL_MIRROR']
      else process.env['THAW_MODEL_MIRROR'] = saved
    }
  })

  it('says which is missing: the mirror folder, or the backbone inside it', async () => {
    await expect(fetchBackbone(V2, { cacheDir: tempDir(), mirror: '/nonexistent/thaw-mirror' })).rejects.toMatchObject({
      code: 'BACKBONE_MIRROR_MISSING',
      message: expect.stringContaining('/nonexistent/thaw-mirror')
    })
    await expect(fetchBackbone(V2, { cacheDir: tempDir(), mirror: tempDir() })).rejects.toMatchObject({
      code: 'BACKBONE_NOT_FOUND',
      message: expect.stringContaining('mobilenet_v2_1.0_224')
    })
  })

  it('rejects a file whose checksum does not match and keeps nothing of it', async () => {
    const { mirror, spec } = tinyMirror([{ name: 'model.json', content: Buffer.from('{"tampered":1}'), claim: Buffer.from('{"original":1}') }])
    const cache = tempDir()
    await expect(fetchBackbone(spec, { cacheDir: cache, mirror })).rejects.toMatchObject({ code: 'BACKBONE_CHECKSUM' })
    expect(leftovers(path.join(cache, 'tiny'))).toEqual([])
  })

  it('skips a missing optional file but not a missing required one', async () => {
    const { mirror, spec } = tinyMirror([{ name: 'model.json', content: Buffer.from('{}') }])
    const withLabels: BackboneSpec = { ...spec, files: [...spec.files, { name: 'labels.json', bytes: 2, sha256: sha256('[]'), role: 'labels', optional: true }] }
    const cache = tempDir()
    const fetched = await fetchBackbone(withLabels, { cacheDir: cache, mirror })
    expect([...fetched.files.keys()]).toEqual(['model.json'])
    expect(await isComplete(fetched.dir, withLabels)).toBe(true)
    const withShard: BackboneSpec = { ...spec, files: [...spec.files, { name: 'shard.bin', bytes: 2, sha256: sha256('xx'), role: 'weights' }] }
    await expect(fetchBackbone(withShard, { cacheDir: tempDir(), mirror })).rejects.toMatchObject({ code: 'BACKBONE_NOT_FOUND', message: expect.stringContaining('shard.bin') })
  })

  it('never trusts a folder a killed download left: repairs it and only then stamps it', async () => {
    const cache = tempDir()
    const dir = path.join(cache, V2.id)
    fs.mkdirSync(dir, { recursive: true })
    fs.writeFileSync(path.join(dir, 'model.json'), '{"half":')
    fs.writeFileSync(path.join(dir, '.group1-shard1of2.bin.999-dead.part'), Buffer.alloc(1000))
    expect(await isComplete(dir, V2)).toBe(false)
    await fetchBackbone(V2, { cacheDir: cache, mirror: BACKBONE_MIRROR })
    expect(await isComplete(dir, V2)).toBe(true)
    expect(sha256(fs.readFileSync(path.join(dir, 'model.json')))).toBe(V2.files.find((f) => f.name === 'model.json')?.sha256)
  })

  it('shares one download between concurrent callers', async () => {
    const cache = tempDir()
    const [a, b] = await Promise.all([fetchBackbone(V2, { cacheDir: cache, mirror: BACKBONE_MIRROR }), fetchBackbone(V2, { cacheDir: cache, mirror: BACKBONE_MIRROR })])
    expect(a).toBe(b)
  })
})

describe('fetchBackbone over HTTP', () => {
  let server: MirrorServer
  const tiny = tinyMirror([
    { name: 'model.json', content: Buffer.from('{"model":true}') },
    { name: 'big.bin', content: Buffer.alloc(256 * 1024, 7) }
  ])

  beforeAll(async () => {
    server = await startMirrorServer(BACKBONE_MIRROR, (req, res) => {
      if (req.url === '/broken/tiny/big.bin') {
        // promise the whole file, send a third, then drop the connection
        res.writeHead(200, { 'content-length': 256 * 1024 })
        res.write(Buffer.alloc(80 * 1024, 7), () => res.destroy())
        return true
      }
      if (req.url?.startsWith('/broken/tiny/model.json')) {
        res.writeHead(200, { 'content-length': 14 }).end('{"model":true}')
        return true
      }
      if (req.url?.startsWith('/failing/')) {
        res.writeHead(500, 'Internal Server Error').end()
        return true
      }
      return false
    })
  })
  afterAll(() => server.close())

  it('downloads a many-file backbone and verifies it', async () => {
    const cache = tempDir()
    const fetched = await fetchBackbone(V1, { cacheDir: cache, mirror: server.url })
    expect(server.requests.filter((r) => r.startsWith(`/${V1.id}/`))).toHaveLength(V1.files.length)
    expect(await isComplete(fetched.dir, V1)).toBe(true)
  })

  it('reports a 404 with the address that answered it', async () => {
    await expect(fetchBackbone({ ...V2, id: 'no_such_backbone' }, { cacheDir: tempDir(), mirror: server.url })).rejects.toMatchObject({
      code: 'BACKBONE_NOT_FOUND',
      message: expect.stringMatching(/http:\/\/127\.0\.0\.1:\d+\/no_such_backbone\/model\.json answered 404/)
    })
  })

  it('reports other HTTP failures with their status', async () => {
    await expect(fetchBackbone(V2, { cacheDir: tempDir(), mirror: `${server.url}/failing` })).rejects.toMatchObject({
      code: 'BACKBONE_HTTP_ERROR',
      message: expect.stringContaining('500')
    })
  })

  it('leaves no file behind when the connection breaks mid-download', async () => {
    const cache = tempDir()
    await expect(fetchBackbone(tiny.spec, { cacheDir: cache, mirror: `${server.url}/broken` })).rejects.toMatchObject({
      code: 'BACKBONE_NETWORK',
      message: expect.stringContaining('broke off')
    })
    const left = leftovers(path.join(cache, 'tiny'))
    expect(left.filter((name) => name.endsWith('.part') || name === 'big.bin' || name === COMPLETE_STAMP)).toEqual([])
  })

  it('says the network is the problem when nothing answers', async () => {
    await expect(fetchBackbone(V2, { cacheDir: tempDir(), mirror: `http://127.0.0.1:${await closedPort()}` })).rejects.toMatchObject({
      code: 'BACKBONE_NETWORK',
      message: expect.stringContaining('THAW_MODEL_MIRROR')
    })
  })

  it('stops when cancelled, keeping no partial file', async () => {
    const cache = tempDir()
    const controller = new AbortController()
    const run = fetchBackbone(V2, { cacheDir: cache, mirror: server.url, signal: controller.signal, onProgress: () => controller.abort() })
    await expect(run).rejects.toMatchObject({ name: 'AbortError' })
    expect(leftovers(path.join(cache, V2.id)).filter((name) => name.endsWith('.part') || name === COMPLETE_STAMP)).toEqual([])
  })
})

describe('defaultCacheDir', () => {
  it('prefers THAW_CACHE_DIR, then the XDG cache folder', () => {
    expect(defaultCacheDir({ THAW_CACHE_DIR: '/data/thaw' })).toBe(path.join('/data/thaw', 'backbones'))
    if (process.platform === 'linux') expect(defaultCacheDir({ XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/thaw-studio/backbones')
  })
})
