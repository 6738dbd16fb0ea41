// The app's identity in the shell, electron stubbed: the window icon's file and the About panel.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { app, resetElectron } from './electronStub'

vi.mock('electron', async () => await import('./electronStub'))
const { appIconPath } = await import('../../../src/main/electron/appIcon')
const { APP_ID, setupAboutPanel, setupAppId } = await import('../../../src/main/electron/about')

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'thaw-icon-'))
const resourcesPath = process.resourcesPath
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true })
  Object.defineProperty(process, 'resourcesPath', { value: resourcesPath, configurable: true, writable: true })
})
beforeEach(resetElectron)

describe('appIconPath', () => {
  it('from a checkout: the rendered 512 px PNG in resources/icons, once `npm run icons` made it', () => {
    app.appPath = tmp
    expect(appIconPath()).toBeUndefined()
    const icon = path.join(tmp, 'resources/icons/png/512x512.png')
    fs.mkdirSync(path.dirname(icon), { recursive: true })
    fs.writeFileSync(icon, '')
    expect(appIconPath()).toBe(icon)
  })

  it("packaged: icon.png beside app.asar (electron-builder's extraResources)", () => {
    app.isPackaged = true
    app.appPath = path.join(tmp, 'nowhere')
    Object.defineProperty(process, 'resourcesPath', { value: tmp, configurable: true, writable: true })
    expect(appIconPath()).toBeUndefined()
    fs.writeFileSync(path.join(tmp, 'icon.png'), '')
    expect(appIconPath()).toBe(path.join(tmp, 'icon.png'))
  })
})

describe('setupAboutPanel', () => {
  it("names the app and its version (package.json's, through app.getVersion) with the icon", () => {
    app.getVersion.mockReturnValueOnce('1.2.3')
    setupAboutPanel('/res/icon.png')
    expect(app.setAboutPanelOptions).toHaveBeenCalledWith(
      expect.objectContaining({ applicationName: 'Thaw Studio', applicationVersion: '1.2.3', iconPath: '/res/icon.png' })
    )
  })

  it('leaves the icon out when there is none (Electron then shows its own)', () => {
    setupAboutPanel(undefined)
    expect(app.setAboutPanelOptions.mock.calls[0]![0]).not.toHaveProperty('iconPath')
  })
})

describe('setupAppId', () => {
  const platform = process.platform
  const on = (p: NodeJS.Platform): void => void Object.defineProperty(process, 'platform', { value: p, configurable: true })

  it("Windows: the AppUserModelID is electron-builder's appId, so the jump list belongs to the installed shortcut", () => {
    try {
      on('win32')
      setupAppId()
      expect(app.setAppUserModelId).toHaveBeenCalledWith(APP_ID)
      on('linux')
      setupAppId()
      expect(app.setAppUserModelId).toHaveBeenCalledTimes(1)
    } finally {
      on(platform)
    }
    const yml = fs.readFileSync(path.join(__dirname, '../../../electron-builder.yml'), 'utf8')
    expect(yml).toMatch(new RegExp(`^appId: ${APP_ID.replace(/\./g, '\\.')}$`, 'm'))
  })
})
