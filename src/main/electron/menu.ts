import { Menu, type MenuItemConstructorOptions } from 'electron'
import type { RecentProject } from '../../shared/types'

export interface MenuActions {
  /** a page action (new project, import, ...): the page decides what it does */
  send: (action: string) => void
  /** open a recent project (the studio opens it; the page follows its projectChanged event) */
  openRecent: (projectPath: string) => void
}

/** Open Recent: on macOS the OS's own list (app.addRecentDocument, osRecent.ts) with its Clear
 * item; elsewhere the studio's recent projects. */
function openRecentMenu(platform: NodeJS.Platform, recent: readonly RecentProject[], actions: MenuActions): MenuItemConstructorOptions {
  if (platform === 'darwin') return { label: 'Open Recent', role: 'recentDocuments', submenu: [{ role: 'clearRecentDocuments' }] }
  return {
    label: 'Open Recent',
    submenu: recent.length
      ? recent.map((r) => ({ label: r.name, sublabel: r.path, toolTip: r.path, click: () => actions.openRecent(r.path) }))
      : [{ label: 'No recent projects', enabled: false }]
  }
}

/** Native menus with the usual shortcuts. Studio actions are sent to the page as events, so the
 * page stays the one place that decides what a menu item does. */
export function menuTemplate(platform: NodeJS.Platform, recent: readonly RecentProject[], actions: MenuActions): MenuItemConstructorOptions[] {
  const send = (action: string) => () => actions.send(action)
  const mac = platform === 'darwin'
  return [
    // the app menu holds About (setAboutPanelOptions), Hide and Quit
    ...(mac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'New Project…', accelerator: 'CmdOrCtrl+N', click: send('newProject') },
        { label: 'Open Project…', accelerator: 'CmdOrCtrl+O', click: send('openProject') },
        openRecentMenu(platform, recent, actions),
        { type: 'separator' },
        { label: 'Import Folder…', accelerator: 'CmdOrCtrl+I', click: send('importFolder') },
        { label: 'Export Model…', accelerator: 'CmdOrCtrl+E', click: send('exportModel') },
        { type: 'separator' },
        mac ? { role: 'close' } : { role: 'quit' }
      ]
    },
    {
      label: 'Edit',
      submenu: [
        { label: 'Undo', accelerator: 'CmdOrCtrl+Z', click: send('undo') },
        { type: 'separator' },
        { role: 'cut' },
        { role: 'copy' },
        { role: 'paste' },
        { role: 'selectAll' }
      ]
    },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
    // Windows and Linux have no app menu: About lives in Help, as in VS Code
    ...(mac ? [] : [{ label: 'Help', submenu: [{ role: 'about' as const, label: 'About Thaw Studio' }] }])
  ]
}

/** Sets (or rebuilds, when the recent list changed) the application menu. */
export function setupMenu(recent: readonly RecentProject[], actions: MenuActions): void {
  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate(process.platform, recent, actions)))
}
