import fs from 'node:fs'
import path from 'node:path'
import { dialog, shell, type BrowserWindow } from 'electron'
import { ThawError } from '../errors'
import type { DesktopHandlers } from './ipc'
import type { FolderInbox } from './osOpen'

/** The folder a picker should open in: `wanted` if it exists, else its nearest existing parent
 * (a suggested export folder is often not made yet), else undefined (the OS's default place). */
export function nearestExistingFolder(wanted: string | undefined): string | undefined {
  if (!wanted || !path.isAbsolute(wanted)) return undefined
  for (let p = path.resolve(wanted); ; p = path.dirname(p)) {
    try {
      if (fs.statSync(p).isDirectory()) return p
    } catch {
      // not there (yet): try its parent
    }
    if (path.dirname(p) === p) return undefined
  }
}

/** The desktop shell's commands: the OS folder picker (sheet on the window), the file manager,
 * and the folder the OS handed over for the page to import. */
export function desktopHandlers(win: BrowserWindow, inbox: FolderInbox): DesktopHandlers {
  return {
    async pickFolder({ title, defaultPath, buttonLabel }) {
      const result = await dialog.showOpenDialog(win, {
        title,
        buttonLabel,
        defaultPath: nearestExistingFolder(defaultPath),
        // createDirectory: macOS's New Folder button (the others' pickers always have one)
        properties: ['openDirectory', 'createDirectory']
      })
      return { path: result.canceled ? null : (result.filePaths[0] ?? null) }
    },

    async showInFolder({ path: target }) {
      if (!path.isAbsolute(target)) throw new ThawError('BAD_ARGS', `showInFolder: ${target} is not an absolute path`)
      if (!fs.existsSync(target)) throw new ThawError('NOT_FOUND', `${target} is no longer there: was it moved or deleted?`)
      // reveals, never opens or runs: the page cannot start a program through this
      shell.showItemInFolder(target)
      return { shown: true }
    },

    async takeOpenedFolder() {
      return { path: inbox.take() }
    }
  }
}
