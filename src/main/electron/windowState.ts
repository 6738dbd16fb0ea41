import fs from 'node:fs'
import path from 'node:path'
import type { BrowserWindow, Rectangle } from 'electron'
import { configDir } from '../project/recent'

interface WindowState {
  bounds: Rectangle
  maximized: boolean
}

const file = (): string => path.join(configDir(), 'window-state.json')

export function loadWindowState(): WindowState | null {
  try {
    const s = JSON.parse(fs.readFileSync(file(), 'utf8')) as WindowState
    return typeof s.bounds?.width === 'number' ? s : null
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
