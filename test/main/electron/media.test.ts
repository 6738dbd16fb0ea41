// The thaw-media:// scheme, electron stubbed: the same thumbnails and images as browser mode,
// only of the open project, only by the two URL shapes.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { protocol, resetElectron } from './electronStub'

vi.mock('electron', async () => await import('./electronStub'))
const readMedia = vi.fn(async (_project: unknown, kind: string, key: string) => {
  if (key === 'missing') throw new Error('no such image')
  return { body: Buffer.from(`${kind}:${key}`), contentType: 'image/webp' }
})
vi.mock('../../../src/main/media/media', () => ({ readMedia }))
const { MEDIA_SCHEME, registerMediaScheme, setupMediaProtocol } = await import('../../../src/main/electron/media')

type Handler = (req: Request) => Promise<Response>
function serve(project: unknown): Handler {
  setupMediaProtocol({ maybeProject: () => project } as never)
  const [scheme, handler] = protocol.handle.mock.calls.at(-1)! as [string, Handler]
  expect(scheme).toBe(MEDIA_SCHEME)
  return handler
}
const get = (h: Handler, url: string): Promise<Response> => h(new Request(url))

beforeEach(() => {
  resetElectron()
  readMedia.mockClear()
})

describe('thaw-media', () => {
  it('is registered as a standard, secure scheme that fetch may use (before ready)', () => {
    registerMediaScheme()
    expect(protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      { scheme: 'thaw-media', privileges: { standard: true, secure: true, supportFetchAPI: true } }
    ])
  })

  it('serves a thumbnail by hash and an image by id from the open project, with their type', async () => {
    const project = { name: 'bees' }
    const h = serve(project)
    const thumb = await get(h, 'thaw-media://media/thumb/abc123')
    expect(thumb.status).toBe(200)
    expect(thumb.headers.get('content-type')).toBe('image/webp')
    expect(await thumb.text()).toBe('thumb:abc123')
    expect(readMedia).toHaveBeenLastCalledWith(project, 'thumb', 'abc123')
    expect(await (await get(h, 'thaw-media://media/image/42')).text()).toBe('image:42')
  })

  it('404: no project open, another path shape, media that is not there', async () => {
    expect((await get(serve(null), 'thaw-media://media/thumb/abc')).status).toBe(404)
    const h = serve({})
    for (const url of ['thaw-media://media/other/1', 'thaw-media://media/thumb/a/b', 'thaw-media://media/image/']) {
      expect((await get(h, url)).status, url).toBe(404)
    }
    expect((await get(h, 'thaw-media://media/image/missing')).status).toBe(404)
  })
})
