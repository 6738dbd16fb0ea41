import { Menu, type MenuItemConstructorOptions } from 'electron'
import type { Studio } from '../studio/studio'

/** Native menus with the usual shortcuts. Studio actions are sent to the page as events, so the
 * page stays the one place that decides what a menu item does. */
export function setupMenu(studio: Studio): void {
  const send = (action: string) => () => studio.emit('menu', { action })
  const template: MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'New Project…', accelerator: 'CmdOrCtrl+N', click: send('newProject') },
        { label: 'Open Project…', accelerator: 'CmdOrCtrl+O', click: send('openProject') },
        { label: 'Import Folder…', accelerator: 'CmdOrCtrl+I', click: send('importFolder') },
        { label: 'Export Model…', accelerator: 'CmdOrCtrl+E', click: send('exportModel') },
        { type: 'separator' },
        process.platform === 'darwin' ? { role: 'close' } : { role: 'quit' }
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
    { role: 'windowMenu' }
  ]
  Menu.setApplicationMenu(Menu.buildFromTemplate(template))
}
