// Shared steps of the e2e tests: where the studio runs, throwaway folders, and the few UI flows
// (create a project, import a folder) that several tests walk through.
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { expect, test, type Locator, type Page } from '@playwright/test'
import type { ImportReport, ProjectStatus } from '../src/shared/types'

export const repoRoot = path.resolve(__dirname, '..')
/** the real data set, read in place (never copied into the repo) */
export const hymenoptera = path.resolve(repoRoot, '../shared/datasets/hymenoptera')

export function studioUrl(): string {
  const url = process.env.THAW_E2E_URL
  if (!url) throw new Error('THAW_E2E_URL is not set: run the tests through playwright.config.ts (global setup)')
  return url
}

/** A fresh folder under the run's work folder (removed by the global teardown). */
export function workDir(name: string): string {
  const base = process.env.THAW_E2E_WORK
  if (!base) throw new Error('THAW_E2E_WORK is not set')
  const dir = path.join(base, `${name}-${Date.now().toString(36)}`)
  fs.mkdirSync(path.dirname(dir), { recursive: true })
  return dir
}

export async function openStudio(page: Page): Promise<void> {
  await page.goto(studioUrl())
  await expect(page.getByRole('status', { name: /Connection: Connected/ })).toBeVisible()
}

export async function createProject(page: Page, dir: string, name: string): Promise<void> {
  await page.getByRole('button', { name: 'Projects', exact: true }).click()
  await page.getByLabel('Folder for the new project').fill(dir)
  await page.getByLabel('Name', { exact: true }).fill(name)
  await page.getByRole('button', { name: 'Create project' }).click()
  await expect(page.getByTestId('project-name')).toHaveText(name)
  await expect(page.getByRole('region', { name: 'Library' })).toBeVisible()
}

/** Picks a folder with the studio's own folder browser: type the parent, Enter, click the folder. */
export async function browseTo(page: Page, field: Locator, title: string, folder: string): Promise<void> {
  await field.getByRole('button', { name: 'Browse…' }).click()
  const browser = page.getByRole('dialog', { name: title })
  await browser.getByLabel('Folder path').fill(path.dirname(folder))
  await browser.getByLabel('Folder path').press('Enter')
  await browser.getByRole('list', { name: 'Folders' }).getByRole('button', { name: path.basename(folder), exact: true }).click()
  await expect(browser.getByLabel('Folder path')).toHaveValue(folder)
  await browser.getByRole('button', { name: 'Use this folder' }).click()
  await expect(browser).toBeHidden()
}

export async function importFolder(page: Page, folder: string, opts: { browse?: boolean } = {}): Promise<Locator> {
  await page.getByRole('button', { name: 'Import folder…' }).click()
  const dialog = page.getByRole('dialog', { name: 'Import a folder' })
  if (opts.browse) await browseTo(page, dialog, 'Choose the folder to import', folder)
  else await dialog.getByLabel('Folder of images').fill(folder)
  await expect(dialog.getByLabel('Folder of images')).toHaveValue(folder)
  await dialog.getByRole('button', { name: 'Import', exact: true }).click()
  const report = dialog.getByTestId('import-report')
  await expect(report).toBeVisible({ timeout: 120_000 })
  return dialog
}

export const grid = (page: Page): Locator => page.getByRole('listbox', { name: 'Images' })
export const cell = (page: Page, index: number): Locator => grid(page).locator(`[data-testid="cell"][data-index="${index}"]`)
export const gridTotal = (page: Page): Locator => page.getByTestId('grid-total')

/** The index of the focused cell, from the listbox's aria-activedescendant. */
export async function focusedIndex(page: Page): Promise<number> {
  const id = await grid(page).getAttribute('aria-activedescendant')
  return id ? Number(id.replace('cell-', '')) : -1
}

export interface CellState {
  id: string | null
  cls: string | null
  split: string | null
  status: string | null
}

export async function cellState(page: Page, index: number): Promise<CellState> {
  const c = cell(page, index)
  await expect(c).toHaveAttribute('data-id', /\d+/)
  return {
    id: await c.getAttribute('data-id'),
    cls: await c.getAttribute('data-class'),
    split: await c.getAttribute('data-split'),
    status: await c.getAttribute('data-status')
  }
}

const run = promisify(execFile)

/** `bin/thaw status --json`: what is on disk, read by another process than the server. */
export async function thawStatus(projectDir: string): Promise<ProjectStatus> {
  const { stdout } = await run(process.execPath, [path.join(repoRoot, 'bin/thaw'), 'status', projectDir, '--json'], {
    cwd: repoRoot,
    env: process.env
  })
  return JSON.parse(stdout) as ProjectStatus
}

export type { ImportReport }

/** Makes any exception thrown in the page fail the test, even when the UI happens to look right. */
export function failOnPageErrors(): void {
  let pageErrors: string[] = []
  test.beforeEach(({ page }) => {
    pageErrors = []
    page.on('pageerror', (err) => pageErrors.push(err.message))
  })
  test.afterEach(() => {
    expect(pageErrors, 'errors thrown in the page').toEqual([])
  })
}

// --- projects made by the CLI, for the specs that test what comes after an import ---

/** `bin/thaw …` in another process (the CLI), its stdout; a failure throws with its stderr. */
export async function thaw(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [path.join(repoRoot, 'bin/thaw'), ...args], { cwd: repoRoot, env: process.env, maxBuffer: 64 << 20 })
  return stdout
}

export const CLASSES = ['ants', 'bees'] as const
export type HymenopteraSplit = 'train' | 'val'

/** root/<split>/<class>/<image> of symlinks to the first images (by name) of the real data set:
 * `perClass` images of each class from each split, never copied. Returns the root and what it
 * linked, by split (the originals' paths). */
export function linkSmallSet(name: string, perClass: Record<HymenopteraSplit, number>): { root: string; linked: Record<HymenopteraSplit, string[]> } {
  const root = workDir(name)
  const linked: Record<HymenopteraSplit, string[]> = { train: [], val: [] }
  for (const [split, n] of Object.entries(perClass) as [HymenopteraSplit, number][]) {
    for (const cls of CLASSES) {
      const from = path.join(hymenoptera, split, cls)
      const to = path.join(root, split, cls)
      fs.mkdirSync(to, { recursive: true })
      for (const file of fs.readdirSync(from).sort().slice(0, n)) {
        fs.symlinkSync(path.join(from, file), path.join(to, file))
        linked[split].push(path.join(from, file))
      }
    }
  }
  return { root, linked }
}

/** A step of the navigation rail. */
export const nav = (page: Page, name: string): Promise<void> =>
  page.getByRole('navigation', { name: 'Studio steps' }).getByRole('button', { name, exact: true }).click()

/** Opens the studio and an existing project (made by the CLI), on the library. */
export async function openProject(page: Page, projectDir: string): Promise<void> {
  await openStudio(page)
  await page.getByRole('button', { name: 'Projects', exact: true }).click()
  await page.getByLabel('Project folder to open').fill(projectDir)
  await page.getByRole('button', { name: 'Open project' }).click()
  await expect(page.getByRole('region', { name: 'Library' })).toBeVisible()
}
