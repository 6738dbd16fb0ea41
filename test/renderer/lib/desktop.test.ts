// The page's view of the desktop bridge: feature-detected (browser mode has none), envelopes
// unwrapped into results or StudioErrors, and the real paths of dropped folders.
import { describe, expect, it, vi } from 'vitest'
import { desktopFrom, droppedFolders } from '../../../src/renderer/src/lib/desktop'
import { StudioError } from '../../../src/renderer/src/lib/studioError'

describe('desktopFrom', () => {
  it('is null in browser mode and for a bridge that lacks a command (an older preload)', () => {
    expect(desktopFrom(undefined)).toBeNull()
    expect(desktopFrom({ pathForFile: () => '' })).toBeNull()
    expect(desktopFrom({ pickFolder: vi.fn(), showInFolder: vi.fn(), takeOpenedFolder: vi.fn() })).toBeNull()
    expect(desktopFrom({ pathForFile: () => '', pickFolder: vi.fn(), showInFolder: vi.fn() })).toBeNull()
  })

  it('unwraps the envelopes: results come back, errors keep their codes', async () => {
    const bridge = {
      pathForFile: vi.fn(() => '/real/path'),
      pickFolder: vi.fn(async () => ({ ok: true, result: { path: '/picked' } })),
      showInFolder: vi.fn(async () => ({ ok: false, error: { code: 'NOT_FOUND', message: '/x is no longer there' } })),
      takeOpenedFolder: vi.fn(async () => ({ ok: true, result: { path: null } }))
    }
    const desktop = desktopFrom(bridge)!
    expect(await desktop.pickFolder({ title: 'Choose' })).toEqual({ path: '/picked' })
    expect(bridge.pickFolder).toHaveBeenCalledWith({ title: 'Choose' })
    const err = await desktop.showInFolder({ path: '/x' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StudioError)
    expect(err).toMatchObject({ code: 'NOT_FOUND', message: '/x is no longer there' })
    expect(desktop.pathForFile({} as File)).toBe('/real/path')
  })
})

describe('droppedFolders', () => {
  const item = (name: string, isDirectory: boolean, kind = 'file') => ({
    kind,
    webkitGetAsEntry: () => ({ isDirectory }),
    getAsFile: () => ({ name })
  })
  const transfer = (items: ReturnType<typeof item>[]) => ({ items })
  const paths: Record<string, string> = { pictures: '/home/me/pictures', 'a.jpg': '/home/me/a.jpg', made: '' }

  it('keeps folders with a real path, in drop order', () => {
    const dt = transfer([item('a.jpg', false), item('pictures', true), item('made', true), item('text', false, 'string')])
    expect(droppedFolders(dt, (f: { name: string }) => paths[f.name] ?? '')).toEqual(['/home/me/pictures'])
  })
})
