// Models and predictions end to end in a real browser against `thaw serve`: a small hymenoptera
// project trained twice by the CLI (two kept runs), then in the UI: compare the two runs and
// choose one; the grid's prediction badges and filters; a prediction accepted as the label by key.
import fs from 'node:fs'
import { expect, test, type Page } from '@playwright/test'
import { failOnPageErrors, grid, hymenoptera, linkSmallSet, nav, openProject as openProjectAt, thaw, workDir } from './helpers'

test.describe.configure({ mode: 'serial' })
failOnPageErrors()

let projectDir = ''
let models: { id: number; chosen: boolean }[] = []

const openProject = (page: Page): Promise<void> => openProjectAt(page, projectDir)

test.beforeAll(async () => {
  test.skip(!fs.existsSync(hymenoptera), `the data set is missing at ${hymenoptera}`)
  test.setTimeout(300_000)
  projectDir = workDir('models-project')
  await thaw('init', projectDir)
  await thaw('import', projectDir, linkSmallSet('models-hymenoptera', { train: 10, val: 5 }).root)
  await thaw('train', projectDir, '--epochs', '3', '--seed', '1')
  await thaw('train', projectDir, '--epochs', '1', '--seed', '2', '--lr', '0.0003')
  models = (JSON.parse(await thaw('models', projectDir, '--json')) as { models: typeof models }).models
  expect(models).toHaveLength(2)
})

test('compare two runs and choose one', async ({ page }) => {
  test.setTimeout(120_000)
  await openProject(page)
  await nav(page, 'Runs')
  const runs = page.getByRole('region', { name: 'Runs' })
  const rows = runs.getByTestId('run-row')
  await expect(rows).toHaveCount(2)
  const [newer, older] = [models[0]!.id, models[1]!.id]
  await expect(rows.first()).toHaveAttribute('data-model', String(newer)) // by date, newest first
  await expect(runs.locator(`[data-model="${newer}"]`).getByText('chosen')).toBeVisible()
  await expect(runs.getByTestId('runs-total')).toHaveText(/\d+(\.\d)? MB/)

  await runs.getByRole('button', { name: 'Accuracy' }).click()
  await expect(runs.getByRole('columnheader', { name: 'Accuracy' })).toHaveAttribute('aria-sort', 'descending')

  await runs.getByRole('radio', { name: `Compare Model ${older} on the left` }).check()
  await runs.getByRole('radio', { name: `Compare Model ${newer} on the right` }).check()
  const comparison = page.getByRole('region', { name: 'Comparison' })
  await expect(comparison.getByTestId('compare-A')).toContainText(`Model ${older}`)
  await expect(comparison.getByTestId('compare-B')).toContainText(`Model ${newer}`)
  await expect(comparison.getByRole('table', { name: 'Confusion matrix' })).toHaveCount(2)
  await expect(comparison.getByRole('figure', { name: 'Validation curves of both runs' }).locator('canvas').first()).toBeVisible()
  await expect(comparison.getByTestId('changed-count')).toHaveText(/\d+ of 30 images change their prediction/)

  await comparison.getByRole('button', { name: `Choose Model ${older}` }).click()
  await expect(runs.locator(`[data-model="${older}"]`).getByText('chosen')).toBeVisible()
  const chosen = (JSON.parse(await thaw('models', projectDir, '--json')) as { models: typeof models }).models.find((m) => m.chosen)
  expect(chosen?.id).toBe(older)

  await runs.locator(`[data-model="${older}"]`).getByRole('button', { name: 'Rename…' }).click()
  const dialog = page.getByRole('dialog', { name: 'Rename run' })
  await dialog.getByLabel('Name').fill('three epochs')
  await dialog.getByRole('button', { name: 'Save' }).click()
  await expect(runs.locator(`[data-model="${older}"]`)).toContainText('three epochs')
})

test('prediction badges and filters; a prediction accepted as the label by key', async ({ page }) => {
  test.setTimeout(120_000)
  await openProject(page)
  const cells = grid(page).getByTestId('cell')
  await expect(cells.first().getByTestId('cell-prediction')).toHaveText(/^(≠ )?(ants|bees) \d+%$/)
  await expect(page.getByRole('group', { name: 'Predictions' })).toContainText('three epochs')

  // make an image disagree with its prediction: label it with the other class
  const agreeing = grid(page).locator('[data-testid="cell"]:has([data-testid="cell-prediction"][data-disagrees="false"])').first()
  const id = await agreeing.getAttribute('data-id')
  const predicted = ((await agreeing.getByTestId('cell-prediction').textContent()) ?? '').split(' ')[0]!
  const other = predicted === 'ants' ? 'bees' : 'ants'
  await agreeing.click()
  await page.keyboard.press(other === 'ants' ? '1' : '2')
  const target = grid(page).locator(`[data-id="${id}"]`)
  await expect(target).toHaveAttribute('data-class', other)
  await expect(target.getByTestId('cell-prediction')).toHaveAttribute('data-disagrees', 'true')

  // filter: disagrees with its label
  await page.getByLabel('Show by prediction').selectOption('disagrees')
  await expect(target).toBeVisible()
  for (const badge of await grid(page).getByTestId('cell-prediction').all()) await expect(badge).toHaveAttribute('data-disagrees', 'true')

  // P accepts the prediction: the label goes back, and Ctrl+Z undoes it like any label change
  await target.click()
  await page.keyboard.press('p')
  await expect(grid(page).locator(`[data-id="${id}"]`)).toHaveCount(0) // it left the filter
  await page.getByLabel('Show by prediction').selectOption('all')
  await expect(grid(page).locator(`[data-id="${id}"]`)).toHaveAttribute('data-class', predicted)
  await grid(page).locator(`[data-id="${id}"]`).click()
  await page.keyboard.press('Control+z')
  await expect(grid(page).locator(`[data-id="${id}"]`)).toHaveAttribute('data-class', other)

  // filter: confidence below a threshold; 100% lets every scored image through
  await page.getByLabel('Show by prediction').selectOption('uncertain')
  const threshold = page.getByLabel('Confidence threshold (%)')
  await threshold.fill('0')
  await threshold.dispatchEvent('change')
  await expect(page.getByTestId('grid-total')).toHaveText('0 images')
  await threshold.fill('101')
  await threshold.dispatchEvent('change')
  await expect(page.getByText('The confidence threshold must be a percentage from 0 to 100, not "101"')).toBeVisible()
})

test('an image excluded after training leaves the model’s confusion matrix, its top losses and Runs compare; undo brings it back', async ({ page }) => {
  test.setTimeout(120_000)
  await openProject(page)
  await nav(page, 'Train')
  const train = page.getByRole('region', { name: 'Train', exact: true })
  const total = train.getByRole('table', { name: 'Confusion matrix' }).getByTestId('confusion-total')
  const tiles = train.getByRole('listbox', { name: /^Top losses/ }).getByTestId('loss-tile')
  await expect(total).toHaveText('10')
  await expect(tiles).toHaveCount(10)

  // exclude the model's top loss (a validation image) from the library, by key
  const top = await tiles.first().getAttribute('id')
  const id = top!.replace('loss-', '')
  await nav(page, 'Library')
  await page.getByRole('radiogroup', { name: 'Split' }).getByRole('radio', { name: /Valid/ }).click()
  const target = grid(page).locator(`[data-id="${id}"]`)
  await target.click()
  await page.keyboard.press('x')
  await expect(page.getByRole('combobox', { name: 'Status' }).locator('option[value="excluded"]')).toHaveText('Excluded (1)')

  await nav(page, 'Train')
  await expect(total).toHaveText('9')
  await expect(tiles).toHaveCount(9)
  await expect(train.locator(`#loss-${id}`)).toHaveCount(0)

  await nav(page, 'Runs')
  const runs = page.getByRole('region', { name: 'Runs' })
  // the older run was renamed by the first test
  await runs.getByRole('radio', { name: 'Compare three epochs on the left' }).check()
  await runs.getByRole('radio', { name: `Compare Model ${models[0]!.id} on the right` }).check()
  const comparison = page.getByRole('region', { name: 'Comparison' })
  await expect(comparison.getByTestId('changed-count')).toHaveText(/\d+ of 29 images change their prediction/)
  for (const matrix of await comparison.getByRole('table', { name: 'Confusion matrix' }).all()) await expect(matrix.getByTestId('confusion-total')).toHaveText('9')

  // undone, the image counts again everywhere
  await nav(page, 'Library')
  await grid(page).locator(`[data-id="${id}"]`).click()
  await page.keyboard.press('Control+z')
  await expect(page.getByRole('combobox', { name: 'Status' }).locator('option[value="excluded"]')).toHaveText('Excluded')
  await nav(page, 'Train')
  await expect(total).toHaveText('10')
  await expect(tiles).toHaveCount(10)
})
