// Train while labeling end to end in Chromium against `thaw serve`: a small project trained once
// by the CLI (the chosen model), then the library's toggle on, a label changed by key: a run
// marked auto appears in Runs and is not chosen by itself; a second change replaces it (only the
// latest auto run is kept), and the toggle off stops it.
import fs from 'node:fs'
import { expect, test, type Page } from '@playwright/test'
import { cell, failOnPageErrors, hymenoptera, linkSmallSet, nav, openProject, thaw, workDir } from './helpers'

test.describe.configure({ mode: 'serial' })
failOnPageErrors()

let projectDir = ''
let first = 0

interface Listed {
  models: { id: number; chosen: boolean; status: string }[]
}
const models = async (): Promise<Listed['models']> => (JSON.parse(await thaw('models', projectDir, '--json')) as Listed).models

test.beforeAll(async () => {
  test.skip(!fs.existsSync(hymenoptera), `the data set is missing at ${hymenoptera}`)
  test.setTimeout(240_000)
  projectDir = workDir('auto-project')
  await thaw('init', projectDir)
  await thaw('import', projectDir, linkSmallSet('auto-images', { train: 10, val: 5 }).root)
  await thaw('train', projectDir, '--epochs', '2')
  const list = await models()
  expect(list).toHaveLength(1)
  first = list[0]!.id
})

/** Relabels the first cell with the other class by key, and returns nothing until the grid shows it. */
async function flipFirstLabel(page: Page): Promise<void> {
  await nav(page, 'Library')
  const c = cell(page, 0)
  const before = await c.getAttribute('data-class')
  await c.click()
  await page.keyboard.press(before === 'ants' ? '2' : '1')
  await expect(c).toHaveAttribute('data-class', before === 'ants' ? 'bees' : 'ants')
}

test('a label change trains an auto run in the background; it is marked auto and never chosen by itself', async ({ page }) => {
  test.setTimeout(240_000)
  await openProject(page, projectDir)
  const toggle = page.getByRole('checkbox', { name: 'Train while labeling' })
  const phase = page.getByTestId('auto-train-phase')
  await expect(toggle).not.toBeChecked()
  await toggle.check()
  await expect(phase).toHaveText('idle')

  await flipFirstLabel(page)
  await expect(phase).toHaveText(/^model \d+ kept$/, { timeout: 180_000 })
  const autoId = Number(/model (\d+) kept/.exec((await phase.textContent())!)![1])
  expect(autoId).toBeGreaterThan(first)

  await nav(page, 'Runs')
  const runs = page.getByRole('region', { name: 'Runs' })
  await expect(runs.getByTestId('run-row')).toHaveCount(2)
  const autoRow = runs.locator(`[data-model="${autoId}"]`)
  await expect(autoRow.getByText('auto', { exact: true })).toBeVisible()
  await expect(autoRow.getByText('chosen', { exact: true })).toHaveCount(0)
  await expect(runs.locator(`[data-model="${first}"]`).getByText('chosen', { exact: true })).toBeVisible()
  // the studio agrees, read by another process
  const list = await models()
  expect(list.find((m) => m.chosen)?.id).toBe(first)
  expect(list.find((m) => m.id === autoId)?.status).toBe('finished')

  await test.step('another change: a newer auto run replaces the last one, which is deleted', async () => {
    await flipFirstLabel(page)
    await expect(phase).toHaveText(new RegExp(`^model (?!${autoId}\\b)\\d+ kept$`), { timeout: 180_000 })
    const next = Number(/model (\d+) kept/.exec((await phase.textContent())!)![1])
    expect(next).toBeGreaterThan(autoId)
    const ids = (await models()).map((m) => m.id)
    expect(ids).toEqual([next, first])
    await nav(page, 'Runs')
    await expect(runs.getByTestId('run-row')).toHaveCount(2)
    await expect(runs.locator(`[data-model="${next}"]`).getByText('auto', { exact: true })).toBeVisible()
    await expect(runs.locator(`[data-model="${first}"]`).getByText('chosen', { exact: true })).toBeVisible()
  })

  await test.step('toggled off, a label change trains nothing', async () => {
    await nav(page, 'Library')
    await toggle.uncheck()
    await expect(phase).toHaveCount(0)
    const before = (await models()).map((m) => m.id)
    await flipFirstLabel(page)
    // the debounce is 1.5 s: well past it, still no new run
    await page.waitForTimeout(4000)
    expect((await models()).map((m) => m.id)).toEqual(before)
  })
})
