import { app, type JumpListCategory } from 'electron'
import type { RecentProject } from '../../shared/types'

/** entries in the Windows jump list's Recent Projects (the shell shows about ten) */
export const JUMP_LIST_SIZE = 10

/** What relaunches the app on a project: the executable, plus the app's folder when it runs
 * unpackaged (`electron .`). The running instance gets it as second-instance argv (osOpen.ts). */
export function relaunchCommand(projectPath: string): { program: string; args: string } {
  // Windows paths cannot contain a double quote, so quoting is only wrapping
  const q = (s: string): string => `"${s}"`
  return { program: process.execPath, args: [...(process.defaultApp ? [q(app.getAppPath())] : []), q(projectPath)].join(' ') }
}

/** The Windows jump list: a Recent Projects category of the studio's own recent list. Project
 * folders are not documents of a registered file type, so Windows' own Recent category would
 * never show them; VS Code lists its folders the same way. null: the system's default list. */
export function jumpListFor(recent: readonly RecentProject[]): JumpListCategory[] | null {
  if (!recent.length) return null
  return [
    {
      type: 'custom',
      name: 'Recent Projects',
      items: recent.slice(0, JUMP_LIST_SIZE).map((r) => ({
        type: 'task' as const,
        title: r.name,
        description: r.path,
        ...relaunchCommand(r.path),
        iconPath: process.execPath,
        iconIndex: 0
      }))
    }
  ]
}

/** A project was opened: it goes to the top of the OS's recent list (macOS: the Dock menu and
 * File > Open Recent; Windows: Recent items and the jump list). Linux desktops have no such list
 * for apps (Electron's addRecentDocument does nothing there); the File menu's Open Recent serves. */
export function addToOsRecent(projectPath: string, recent: readonly RecentProject[]): void {
  if (process.platform !== 'darwin' && process.platform !== 'win32') return
  app.addRecentDocument(projectPath)
  if (process.platform === 'win32') {
    const result = app.setJumpList(jumpListFor(recent))
    // e.g. the person removed an entry, which Windows then refuses to see added again
    if (result !== 'ok') console.warn(`jump list not updated: ${result}`)
  }
}
