// The desktop app itself, through Playwright's Electron driver. Where the Electron binary was
// never downloaded (these development and CI machines), the test is skipped and says why.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { _electron as electron, expect, test } from '@playwright/test'
import { repoRoot } from './helpers'

function electronBinary(): { path: string | null; why: string } {
  try {
    // the package exports the binary's path, and throws when it was never downloaded
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS-only export
    const bin = require('electron') as unknown
    if (typeof bin !== 'string') return { path: null, why: 'require("electron") did not return a path' }
    if (!fs.existsSync(bin)) return { path: null, why: `the Electron binary is not at ${bin}` }
    return { path: bin, why: '' }
  } catch (err) {
    return { path: null, why: `require("electron") throws: ${(err as Error).message.split('\n')[0]}` }
  }
}

const binary = electronBinary()
const main = path.join(repoRoot, 'out/main/index.js')

test(`desktop app opens on the projects screen${binary.path ? '' : ` (skipped: ${binary.why})`}`, async () => {
  test.skip(!binary.path, `Electron binary missing: ${binary.why}`)
  test.skip(!fs.existsSync(main), 'out/main is not built: run "npm run build"')
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'thaw-electron-'))
  const app = await electron.launch({
    executablePath: binary.path!,
    args: [main, '--no-sandbox'],
    env: { ...process.env, THAW_CONFIG_DIR: configDir }
  })
  try {
    const window = await app.firstWindow()
    await expect(window.getByRole('navigation', { name: 'Studio steps' })).toBeVisible()
    await expect(window.getByRole('button', { name: 'Create project' })).toBeVisible()
    // the renderer sees named methods only, never a generic ipcRenderer
    expect(await window.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined')
  } finally {
    await app.close()
    fs.rmSync(configDir, { recursive: true, force: true })
  }
})
