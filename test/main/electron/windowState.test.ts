// Window size, place and maximised state across launches, electron's screen stubbed: restored as
// saved, and never off screen when a monitor is gone or smaller.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeWindow, resetElectron, screen } from './electronStub'

vi.mock('electron', async () => await import('./electronStub'))
const { loadWindowState, trackWindowState } = await import('../../../src/main/electron/windowState')

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'thaw-winstate-'))
const saved = path.join(dir, 'window-state.json')
const before = process.env.THAW_CONFIG_DIR
process.env.THAW_CONFIG_DIR = dir
afterAll(() => {
  if (before === undefined) delete process.env.THAW_CONFIG_DIR
  else process.env.THAW_CONFIG_DIR = before
  fs.rmSync(dir, { recursive: true, force: true })
})

const LAPTOP = { workArea: { x: 0, y: 0, width: 1440, height: 875 } }
const MONITOR_RIGHT = { workArea: { x: 1440, y: 0, width: 2560, height: 1400 } }
const MONITOR_LEFT = { workArea: { x: -1920, y: 0, width: 1920, height: 1050 } }

function save(state: unknown): void {
  fs.writeFileSync(saved, JSON.stringify(state))
}

beforeEach(() => {
  resetElectron()
  fs.rmSync(saved, { force: true })
  screen.displays = [LAPTOP, MONITOR_RIGHT]
})

describe('trackWindowState', () => {
  it('saves the normal (unmaximised) bounds and the maximised state when the window closes', () => {
    const win = new FakeWindow()
    win.bounds = { x: 1500, y: 40, width: 1600, height: 1000 }
    win.maximized = true
    trackWindowState(win as never)
    win.close()
    expect(JSON.parse(fs.readFileSync(saved, 'utf8'))).toEqual({ bounds: { x: 1500, y: 40, width: 1600, height: 1000 }, maximized: true })
  })

  it('a folder it cannot write is no reason to fail the close', () => {
    process.env.THAW_CONFIG_DIR = path.join(saved, 'under-a-file')
    fs.writeFileSync(saved, '{}')
    try {
      const win = new FakeWindow()
      trackWindowState(win as never)
      expect(() => win.close()).not.toThrow()
      expect(win.destroyed).toBe(true)
    } finally {
      process.env.THAW_CONFIG_DIR = dir
    }
  })
})

describe('loadWindowState', () => {
  it('gives back what was saved, place and all, on the monitor it was on', () => {
    const win = new FakeWindow()
    win.bounds = { x: 1500, y: 40, width: 1600, height: 1000 }
    trackWindowState(win as never)
    win.close()
    expect(loadWindowState()).toEqual({ bounds: { x: 1500, y: 40, width: 1600, height: 1000 }, maximized: false })
  })

  it('keeps a place on a monitor left of the main one (negative x)', () => {
    screen.displays = [LAPTOP, MONITOR_LEFT]
    save({ bounds: { x: -1800, y: 100, width: 1200, height: 800 }, maximized: false })
    expect(loadWindowState()?.bounds).toEqual({ x: -1800, y: 100, width: 1200, height: 800 })
  })

  it('leaves the place to the system when that monitor is gone: the window must not open off screen', () => {
    save({ bounds: { x: 1500, y: 40, width: 1400, height: 800 }, maximized: true })
    screen.displays = [LAPTOP]
    expect(loadWindowState()).toEqual({ bounds: { width: 1400, height: 800 }, maximized: true })
  })

  it('counts a window showing less than a title bar (100 x 40) on any display as off screen', () => {
    save({ bounds: { x: 1380, y: 845, width: 800, height: 600 }, maximized: false }) // 60 x 30 px showing
    screen.displays = [LAPTOP]
    expect(loadWindowState()?.bounds).toEqual({ width: 800, height: 600 })
    save({ bounds: { x: 1300, y: 800, width: 800, height: 600 }, maximized: false }) // 140 x 75 showing
    expect(loadWindowState()?.bounds).toEqual({ x: 1300, y: 800, width: 800, height: 600 })
  })

  it('shrinks a window saved on a bigger monitor than any now attached to fit the largest', () => {
    save({ bounds: { x: 1500, y: 0, width: 2500, height: 1380 }, maximized: false })
    screen.displays = [LAPTOP]
    expect(loadWindowState()?.bounds).toEqual({ width: 1440, height: 875 })
  })

  it('starts fresh (null) with no file, a damaged one, or nonsense bounds', () => {
    expect(loadWindowState()).toBeNull()
    fs.writeFileSync(saved, '{"bounds": {"width": 14')
    expect(loadWindowState()).toBeNull()
    for (const bounds of [null, { width: 'wide', height: 800 }, { width: 0, height: 800 }, { width: 1000, height: -5 }]) {
      save({ bounds, maximized: false })
      expect(loadWindowState()).toBeNull()
    }
    // JSON reads 1e400 as Infinity
    fs.writeFileSync(saved, '{"bounds": {"width": 1e400, "height": 800}, "maximized": false}')
    expect(loadWindowState()).toBeNull()
    save({ bounds: { width: 1000, height: 700, x: 'left', y: 0 }, maximized: 'yes' })
    expect(loadWindowState()).toEqual({ bounds: { width: 1000, height: 700 }, maximized: false })
  })
})
