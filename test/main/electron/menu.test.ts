// The native menus, electron stubbed: the usual items and shortcuts on each OS, Open Recent and
// About, and every studio item handed to the page.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { MenuItemConstructorOptions } from 'electron'
import { Menu, resetElectron } from './electronStub'

vi.mock('electron', async () => await import('./electronStub'))
const { menuTemplate, setupMenu } = await import('../../../src/main/electron/menu')

const recent = [
  { path: '/p/bees', name: 'bees', openedAt: '2026-12-01T10:00:00Z' },
  { path: '/p/ants', name: 'ants', openedAt: '2026-11-30T10:00:00Z' }
]

function actions() {
  return { send: vi.fn(), openRecent: vi.fn() }
}

const submenu = (item: MenuItemConstructorOptions | undefined): MenuItemConstructorOptions[] => (item?.submenu ?? []) as MenuItemConstructorOptions[]
const top = (t: MenuItemConstructorOptions[], label: string) => t.find((m) => m.label === label)
const item = (items: MenuItemConstructorOptions[], label: string) => items.find((m) => m.label === label)
const click = (m: MenuItemConstructorOptions | undefined): void => (m?.click as unknown as () => void)()

beforeEach(resetElectron)

describe('menuTemplate', () => {
  for (const platform of ['darwin', 'linux', 'win32'] as const) {
    it(`${platform}: File holds New, Open, Open Recent, Import, Export with their shortcuts, each sent to the page`, () => {
      const a = actions()
      const file = submenu(top(menuTemplate(platform, recent, a), 'File'))
      const expected: [string, string, string][] = [
        ['New Project…', 'CmdOrCtrl+N', 'newProject'],
        ['Open Project…', 'CmdOrCtrl+O', 'openProject'],
        ['Import Folder…', 'CmdOrCtrl+I', 'importFolder'],
        ['Export Model…', 'CmdOrCtrl+E', 'exportModel']
      ]
      for (const [label, accelerator, action] of expected) {
        const m = item(file, label)
        expect(m?.accelerator).toBe(accelerator)
        click(m)
        expect(a.send).toHaveBeenLastCalledWith(action)
      }
      expect(item(file, 'Open Recent')).toBeDefined()
      // closing on macOS leaves the app; elsewhere File ends with Quit
      expect(file.at(-1)?.role).toBe(platform === 'darwin' ? 'close' : 'quit')
    })
  }

  it('Edit: Undo goes to the page (the library undoes labels), the clipboard roles stay native', () => {
    const a = actions()
    const edit = submenu(top(menuTemplate('linux', recent, a), 'Edit'))
    click(item(edit, 'Undo'))
    expect(a.send).toHaveBeenCalledWith('undo')
    expect(edit.map((m) => m.role).filter(Boolean)).toEqual(['cut', 'copy', 'paste', 'selectAll'])
  })

  it('no two items share a shortcut', () => {
    const accelerators: string[] = []
    const walk = (items: MenuItemConstructorOptions[]): void => {
      for (const m of items) {
        if (m.accelerator) accelerators.push(String(m.accelerator))
        if (Array.isArray(m.submenu)) walk(m.submenu)
      }
    }
    walk(menuTemplate('linux', recent, actions()))
    expect(new Set(accelerators).size).toBe(accelerators.length)
  })

  it('Windows and Linux: Open Recent lists the recent projects and opens the one clicked', () => {
    const a = actions()
    const openRecent = submenu(item(submenu(top(menuTemplate('win32', recent, a), 'File')), 'Open Recent'))
    expect(openRecent.map((m) => [m.label, m.sublabel])).toEqual([
      ['bees', '/p/bees'],
      ['ants', '/p/ants']
    ])
    click(openRecent[1])
    expect(a.openRecent).toHaveBeenCalledWith('/p/ants')
    expect(a.send).not.toHaveBeenCalled()
  })

  it('an empty recent list shows one disabled line', () => {
    const openRecent = submenu(item(submenu(top(menuTemplate('linux', [], actions()), 'File')), 'Open Recent'))
    expect(openRecent).toEqual([{ label: 'No recent projects', enabled: false }])
  })

  it("macOS: Open Recent is the OS's recent documents list, About is in the app menu", () => {
    const t = menuTemplate('darwin', recent, actions())
    expect(t[0]?.role).toBe('appMenu')
    const openRecent = item(submenu(top(t, 'File')), 'Open Recent')
    expect(openRecent?.role).toBe('recentDocuments')
    expect(submenu(openRecent)).toEqual([{ role: 'clearRecentDocuments' }])
    expect(top(t, 'Help')).toBeUndefined()
  })

  it('Windows and Linux: Help > About Thaw Studio shows the About panel; there is no app menu', () => {
    for (const platform of ['linux', 'win32'] as const) {
      const t = menuTemplate(platform, recent, actions())
      expect(t.some((m) => m.role === 'appMenu')).toBe(false)
      expect(submenu(top(t, 'Help'))).toEqual([{ role: 'about', label: 'About Thaw Studio' }])
    }
  })
})

describe('setupMenu', () => {
  it('builds the template and sets it as the application menu (again when the recent list changes)', () => {
    setupMenu(recent, actions())
    setupMenu(recent.slice(1), actions())
    expect(Menu.setApplicationMenu).toHaveBeenCalledTimes(2)
    const built = Menu.buildFromTemplate.mock.calls[1]![0] as MenuItemConstructorOptions[]
    expect(Menu.setApplicationMenu).toHaveBeenLastCalledWith({ template: built })
    if (process.platform !== 'darwin') {
      expect(submenu(item(submenu(top(built, 'File')), 'Open Recent')).map((m) => m.label)).toEqual(['ants'])
    }
  })
})
