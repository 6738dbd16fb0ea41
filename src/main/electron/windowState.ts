import fs from 'node:fs'
import path from 'node:path'
import { screen, type BrowserWindow, type Rectangle } from 'electron'
import { configDir } from '../project/recent'

interface WindowState {
  bounds: Rectangle
  maximized: boolean
}

const file = (): string => path.join(configDir(), 'window-state.json')

/** Whether enough of the window (a title bar's worth) is on some display: a monitor unplugged
 * since the last run must not leave the window off screen. */
function visible(b: Rectangle): boolean {
  return screen.getAllDisplays().some(({ workArea: a }) => {
    const w = Math.min(b.x + b.width, a.x + a.width) - Math.max(b.x, a.x)
    const h = Math.min(b.y + b.height, a.y + a.height) - Math.max(b.y, a.y)
    return w >= 100 && h >= 40
  })
}

const finite = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n)

/** Call once the app is ready (screen needs it). */
export function loadWindowState(): { bounds: Pick<Rectangle, 'width' | 'height'> & Partial<Rectangle>; maximized: boolean } | null {
  let s: Partial<WindowState>
  try {
    s = JSON.parse(fs.readFileSync(file(), 'utf8')) as Partial<WindowState>
  } catch {
    return null
  }
  const b = s?.bounds
  if (!b || !finite(b.width) || !finite(b.height) || b.width <= 0 || b.height <= 0) return null
  const maximized = s.maximized === true
  // a window saved on a larger monitor than any there is now fits the largest work area
  const areas = screen.getAllDisplays().map((d) => d.workArea)
  const width = Math.min(b.width, Math.max(...areas.map((a) => a.width), 1))
  const height = Math.min(b.height, Math.max(...areas.map((a) => a.height), 1))
  const placed = finite(b.x) && finite(b.y) ? { x: b.x, y: b.y, width, height } : null
  // size kept, position left to the system, when the saved place is no longer on screen
  return { bounds: placed && visible(placed) ? placed : { width, height }, maximized }
}

/** Remembers size, position and maximized state across launches. */
export function trackWindowState(win: BrowserWindow): void {
  const save = (): void => {
    const state: WindowState = { bounds: win.getNormalBounds(), maximized: win.isMaximized() }
    try {
      fs.mkdirSync(configDir(), { recursive: true })
      fs.writeFileSync(file(), JSON.stringify(state))
    } catch {
      // not worth failing over
    }
  }
  win.on('close', save)
}
