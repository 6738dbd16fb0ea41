import fs from 'node:fs'
import path from 'node:path'
import { app, dialog, type BrowserWindow } from 'electron'
import { toErrorInfo } from '../errors'
import { PROJECT_DB_FILE as DB_FILE } from '../../shared/projectFiles'

/** The project a command line asks for (a launch from the jump list, a file manager, a desktop
 * entry's %U, or `thaw-studio <folder>`): the last argument that is neither a switch nor the
 * app's own folder (`electron .` in development) and exists, resolved against `cwd`. A project's
 * thaw.sqlite stands for its folder. Null when there is none. */
export function projectFromArgs(argv: readonly string[], opts: { cwd: string; defaultApp: boolean }): string | null {
  // argv[0] is the executable; Chromium and macOS add switches (--foo=bar, -psn_0_123) anywhere
  const plain = argv.slice(1).filter((a) => a !== '' && !a.startsWith('-'))
  const candidates = opts.defaultApp ? plain.slice(1) : plain
  for (const arg of candidates.reverse()) {
    const p = path.resolve(opts.cwd, arg)
    let stat: fs.Stats
    try {
      stat = fs.statSync(p)
    } catch {
      continue
    }
    if (stat.isDirectory()) return p
    if (stat.isFile() && path.basename(p) === DB_FILE) return path.dirname(p)
  }
  return null
}

/** Paths the OS asks the app to open: macOS's open-file (a recent project from the Dock or the
 * menu, a folder dropped on the Dock icon; it may come before the app is ready) and a second
 * launch's argv (Windows' jump list, Linux file managers). Until `ready`, the last one is kept for
 * start-up, where it wins over reopening the last project. */
export function setupOsOpen(opts: { open: (projectPath: string) => Promise<void>; focus: () => void }): { ready: () => string | null } {
  let isReady = false
  let pending: string | null = null
  const request = (p: string): void => {
    if (isReady) void opts.open(p)
    else pending = p
  }
  app.on('open-file', (e, p) => {
    e.preventDefault()
    request(p)
  })
  app.on('second-instance', (_e, argv, workingDirectory) => {
    opts.focus()
    const p = projectFromArgs(argv, { cwd: workingDirectory, defaultApp: !!process.defaultApp })
    if (p) request(p)
  })
  return {
    ready() {
      isReady = true
      const first = pending ?? projectFromArgs(process.argv, { cwd: process.cwd(), defaultApp: !!process.defaultApp })
      pending = null
      return first
    }
  }
}

/** Opens a project the OS asked for; when it cannot (not a project, a job running in the open
 * one, damaged), says why in a native message instead of failing silently. */
export async function openFromOs(
  invoke: (name: 'openProject', args: { path: string }) => Promise<unknown>,
  win: BrowserWindow | null,
  projectPath: string
): Promise<boolean> {
  try {
    await invoke('openProject', { path: projectPath })
    return true
  } catch (err) {
    const options = { type: 'warning' as const, message: `Thaw Studio could not open ${projectPath}`, detail: toErrorInfo(err).message, buttons: ['OK'] }
    await (win && !win.isDestroyed() ? dialog.showMessageBox(win, options) : dialog.showMessageBox(options))
    return false
  }
}

/** Whether a folder is a studio project (holds its database). */
export function isProjectFolder(p: string): boolean {
  return fs.existsSync(path.join(p, DB_FILE))
}

/** Folders the OS handed over that are not projects, kept for the page to take (and import):
 * the page may not be loaded yet when the OS hands one over at launch. The newest wins. */
export class FolderInbox {
  private pending: string | null = null
  put(p: string): void {
    this.pending = p
  }
  take(): string | null {
    const p = this.pending
    this.pending = null
    return p
  }
}

/** A folder from the OS: a project opens (or says why not); any other folder waits in the inbox
 * and the page is told to take it (it then opens the Import dialog, as for a folder dropped on the
 * window). */
export async function handOver(
  p: string,
  deps: { open: (projectPath: string) => Promise<boolean>; inbox: FolderInbox; notifyPage: () => void }
): Promise<'opened' | 'failed' | 'page'> {
  if (isProjectFolder(p)) return (await deps.open(p)) ? 'opened' : 'failed'
  deps.inbox.put(p)
  deps.notifyPage()
  return 'page'
}
