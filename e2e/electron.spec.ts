// The desktop app itself, through Playwright's Electron driver. Where the Electron binary was
// never downloaded (these development and CI machines), the test is skipped and says why.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { _electron as electron, expect, test, type Page } from '@playwright/test'
import { cell, cellState, createProject, gridTotal, hymenoptera, importFolder, repoRoot } from './helpers'

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
const nav = (page: Page, name: string): Promise<void> =>
  page.getByRole('navigation', { name: 'Studio steps' }).getByRole('button', { name, exact: true }).click()
const main = path.join(repoRoot, 'out/main/index.js')

test(`desktop app: create, import, label by keyboard, precompute, train and export through IPC${binary.path ? '' : ` (skipped: ${binary.why})`}`, async () => {
  test.skip(!binary.path, `Electron binary missing: ${binary.why}`)
  test.skip(!fs.existsSync(main), 'out/main is not built: run "npm run build"')
  test.skip(!fs.existsSync(hymenoptera), `the data set is not at ${hymenoptera}`)
  test.setTimeout(600_000)
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'thaw-electron-'))
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'thaw-electron-work-'))
  // the real main process, preload and IPC; SQLite through the Electron build of better-sqlite3
  // that `npm start` prepares (THAW_SQLITE_BINDING, when set, names another)
  const app = await electron.launch({
    executablePath: binary.path!,
    args: [main, '--no-sandbox'],
    env: { ...process.env, THAW_CONFIG_DIR: configDir }
  })
  try {
    const page = await app.firstWindow()
    await expect(page.getByRole('navigation', { name: 'Studio steps' })).toBeVisible()
    // the renderer sees named methods only, never a generic ipcRenderer or require
    expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined')
    expect(await page.evaluate(() => typeof (globalThis as { thaw?: { ipcRenderer?: unknown } }).thaw?.ipcRenderer)).toBe('undefined')

    const project = path.join(work, 'insects')
    await test.step('Browse… opens the OS folder picker, through the desktop bridge (not the studio folder browser)', async () => {
      const desktop = await page.evaluate(() => {
        const d = (globalThis as { thaw?: { desktop?: Record<string, unknown> } }).thaw?.desktop ?? {}
        return Object.keys(d).filter((k) => typeof d[k] === 'function').sort()
      })
      expect(desktop).toEqual(['pathForFile', 'pickFolder', 'showInFolder', 'takeOpenedFolder'])
      // the native dialog cannot be driven: the main process answers for it, as a person would
      await app.evaluate(({ dialog }, picked) => {
        dialog.showOpenDialog = (async () => ({ canceled: false, filePaths: [picked] })) as typeof dialog.showOpenDialog
      }, work)
      await page.getByRole('button', { name: 'Projects', exact: true }).click()
      const field = page.getByLabel('Folder for the new project')
      await field.locator('xpath=ancestor::div[contains(@class, "field")]').getByRole('button', { name: 'Browse…' }).click()
      await expect(field).toHaveValue(work)
      await expect(page.getByRole('button', { name: 'Use this folder' })).toHaveCount(0)
      // the contract's validation holds on the desktop channels too
      const bad = await page.evaluate(() => (globalThis as unknown as { thaw: { desktop: { showInFolder(a: unknown): Promise<unknown> } } }).thaw.desktop.showInFolder({ path: 'relative' }))
      expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_ARGS' } })
    })
    await createProject(page, project, 'Insects')
    await importFolder(page, hymenoptera)
    await page.keyboard.press('Escape')
    await expect(gridTotal(page)).toContainText('398')

    await test.step('label by keyboard (the first image to the second class, then undo)', async () => {
      await cell(page, 0).click()
      const before = await cellState(page, 0)
      await page.keyboard.press('2')
      await expect.poll(async () => (await cellState(page, 0)).cls).not.toBe(before.cls)
      await page.keyboard.press('Control+z')
      await expect.poll(async () => (await cellState(page, 0)).cls).toBe(before.cls)
    })

    await test.step('precompute', async () => {
      await nav(page, 'Precompute')
      const screen = page.getByRole('region', { name: 'Precompute', exact: true })
      await screen.getByRole('button', { name: 'Precompute', exact: true }).click()
      await expect(screen.getByRole('region', { name: 'Precompute result' })).toBeVisible({ timeout: 300_000 })
    })

    await test.step('train', async () => {
      await nav(page, 'Train')
      const train = page.getByRole('region', { name: 'Train', exact: true })
      await train.getByRole('spinbutton', { name: 'Epochs' }).fill('2')
      await train.getByRole('button', { name: 'Train', exact: true }).click()
      await expect(train.getByTestId('model-accuracy')).toBeVisible({ timeout: 180_000 })
    })

    await test.step('export', async () => {
      await nav(page, 'Export')
      const screen = page.getByRole('region', { name: 'Export' })
      const out = path.join(work, 'bundle')
      await screen.getByLabel('Folder for the bundle').fill(out)
      await screen.getByRole('button', { name: 'Export', exact: true }).click()
      await expect(screen.getByTestId('export-report')).toBeVisible({ timeout: 180_000 })
      expect(fs.readdirSync(out)).toEqual(expect.arrayContaining(['model.json', 'labels.json', 'MODEL_CARD.md']))
      // Show in folder reveals the bundle (the file manager itself is replaced by a recorder)
      await app.evaluate(({ shell }) => {
        shell.showItemInFolder = (p: string) => void ((globalThis as { shown?: string }).shown = p)
      })
      await screen.getByTestId('show-in-folder').click()
      await expect.poll(() => app.evaluate(() => (globalThis as { shown?: string }).shown)).toBeTruthy()
      const shown = await app.evaluate(() => (globalThis as { shown?: string }).shown)
      expect(fs.realpathSync(shown!)).toBe(fs.realpathSync(out))
    })
    // what the app did went through SQLite in the project folder
    expect(fs.existsSync(path.join(project, 'thaw.sqlite'))).toBe(true)
  } finally {
    await app.close()
    fs.rmSync(configDir, { recursive: true, force: true })
    fs.rmSync(work, { recursive: true, force: true })
  }
})
