// The desktop shell's conveniences (Electron only): the OS folder picker, Show in folder, the
// real path of a folder dropped on the window. Feature-detected: in browser mode (the studio on
// another machine, the page in any browser) `desktop` is null and the page keeps its own
// server-side folder browser and uploads.
import {
  desktopCommandNames,
  type DesktopApi,
  type DesktopCommandName,
  type ErrorInfo
} from '../../../shared/contract'
import { StudioError } from './studioError'

type Envelope = { ok: true; result: unknown } | { ok: false; error: ErrorInfo }

/** What the preload puts at `thaw.desktop`: one method per desktop command (returning the main
 * process's envelope), and pathForFile. */
type DesktopBridge = Record<DesktopCommandName, (args: unknown) => Promise<Envelope>> & { pathForFile(file: File): string }

export function desktopFrom(bridge: unknown): DesktopApi | null {
  const b = bridge as Partial<DesktopBridge> | undefined
  if (!b || typeof b.pathForFile !== 'function' || !desktopCommandNames.every((n) => typeof b[n] === 'function')) return null
  const api: Record<string, unknown> = { pathForFile: (file: File) => b.pathForFile!(file) }
  for (const name of desktopCommandNames) {
    api[name] = async (args: unknown) => {
      const env = await b[name]!(args ?? {})
      if (!env.ok) throw new StudioError(env.error.code, env.error.message)
      return env.result
    }
  }
  return api as DesktopApi
}

export const desktop: DesktopApi | null = desktopFrom((globalThis as { thaw?: { desktop?: unknown } }).thaw?.desktop)

/** The parts of a drop's DataTransfer this reads (structural, so it is testable without a DOM). */
export interface DroppedItems<F> {
  items: ArrayLike<{ kind: string; webkitGetAsEntry?(): { isDirectory: boolean } | null; getAsFile(): F | null }>
}

/** The folders among what was dropped on the window, by their real paths (Electron). Files and
 * things the page made itself (no path) are left out. Must run during the drop event: the
 * browser empties the DataTransfer when it ends. */
export function droppedFolders<F>(dt: DroppedItems<F>, pathForFile: (f: F) => string): string[] {
  const out: string[] = []
  for (const item of Array.from(dt.items)) {
    if (item.kind !== 'file') continue
    const entry = item.webkitGetAsEntry?.()
    const file = item.getAsFile()
    if (!entry?.isDirectory || !file) continue
    const p = pathForFile(file)
    if (p) out.push(p)
  }
  return out
}
