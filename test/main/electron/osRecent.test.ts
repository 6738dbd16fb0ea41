// The OS's recent list, electron stubbed, on each platform.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { app, resetElectron } from './electronStub'

vi.mock('electron', async () => await import('./electronStub'))
const { addToOsRecent, jumpListFor, JUMP_LIST_SIZE, relaunchCommand } = await import('../../../src/main/electron/osRecent')

const platform = process.platform
const defaultApp = process.defaultApp
function onPlatform(p: NodeJS.Platform): void {
  Object.defineProperty(process, 'platform', { value: p, configurable: true })
}
afterEach(() => {
  onPlatform(platform)
  Object.defineProperty(process, 'defaultApp', { value: defaultApp, configurable: true, writable: true })
})
beforeEach(resetElectron)

const recent = Array.from({ length: 14 }, (_, i) => ({ path: `C:\\Projects\\p${i}`, name: `p${i}`, openedAt: '2026-12-01T00:00:00Z' }))

describe('addToOsRecent', () => {
  it('macOS: the recent documents list (Dock menu, File > Open Recent), no jump list', () => {
    onPlatform('darwin')
    addToOsRecent('/Users/me/bees', recent)
    expect(app.addRecentDocument).toHaveBeenCalledWith('/Users/me/bees')
    expect(app.setJumpList).not.toHaveBeenCalled()
  })

  it("Windows: Recent items and the jump list's Recent Projects", () => {
    onPlatform('win32')
    addToOsRecent('C:\\Projects\\p0', recent)
    expect(app.addRecentDocument).toHaveBeenCalledWith('C:\\Projects\\p0')
    expect(app.setJumpList).toHaveBeenCalledWith(jumpListFor(recent))
  })

  it('Windows: a jump list the shell refuses is logged, not thrown', () => {
    onPlatform('win32')
    app.setJumpList.mockReturnValueOnce('customCategoryAccessDeniedError')
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    expect(() => addToOsRecent('C:\\Projects\\p0', recent)).not.toThrow()
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('customCategoryAccessDeniedError'))
    warn.mockRestore()
  })

  it('Linux has no such list: nothing is called', () => {
    onPlatform('linux')
    addToOsRecent('/home/me/bees', recent)
    expect(app.addRecentDocument).not.toHaveBeenCalled()
    expect(app.setJumpList).not.toHaveBeenCalled()
  })
})

describe('jumpListFor', () => {
  it('lists the newest projects, each relaunching the app on its folder', () => {
    Object.defineProperty(process, 'defaultApp', { value: undefined, configurable: true, writable: true })
    const [category] = jumpListFor(recent)!
    expect(category?.type).toBe('custom')
    expect(category?.name).toBe('Recent Projects')
    expect(category?.items).toHaveLength(JUMP_LIST_SIZE)
    expect(category?.items?.[0]).toMatchObject({ type: 'task', title: 'p0', description: 'C:\\Projects\\p0', program: process.execPath, args: '"C:\\Projects\\p0"' })
  })

  it('an empty list gives the system its default jump list back', () => {
    expect(jumpListFor([])).toBeNull()
  })

  it('unpackaged (electron .), the app folder goes first so the relaunch runs this app', () => {
    Object.defineProperty(process, 'defaultApp', { value: true, configurable: true, writable: true })
    app.appPath = 'C:\\src\\thaw studio'
    expect(relaunchCommand('C:\\Projects\\p0')).toEqual({ program: process.execPath, args: '"C:\\src\\thaw studio" "C:\\Projects\\p0"' })
  })
})
