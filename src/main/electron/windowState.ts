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

/** Call once the app is ready (screen needs it). */
export function loadWindowState(): { bounds: Pick<Rectangle, 'width' | 'height'> & Partial<Rectangle>; maximized: boolean } | null {
  try {
    const s = JSON.parse(fs.readFileSync(file(), 'utf8')) as WindowState
    if (typeof s.bounds?.width !== 'number') return null
    // size kept, position left to the system, when the saved place is no longer on screen
    return visible(s.bounds) ? s : { ...s, bounds: { width: s.bounds.width, height: s.bounds.height } }
  } catch {
    return null
  }
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
