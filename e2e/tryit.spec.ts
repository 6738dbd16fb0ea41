// Try it and the drill-down, end to end in Chromium against `thaw serve`: a small project trained
// with the CLI, then a picture dropped on the Train screen's Try it panel, a text file refused with
// the import's reason, T and paste from another screen, and confusion-matrix cells opened.
import fs from 'node:fs'
import { expect, test, type Locator, type Page } from '@playwright/test'
import type { PredictResult } from '../src/shared/types'
import { failOnPageErrors, hymenoptera, linkSmallSet, nav, openProject as openProjectAt, thaw, workDir } from './helpers'

test.describe.configure({ mode: 'serial' })
failOnPageErrors()

let project = ''
const validImages: string[] = []

test.beforeAll(async () => {
  test.setTimeout(300_000)
  if (!fs.existsSync(hymenoptera)) return
  const { root: data, linked } = linkSmallSet('tryit-images', { train: 12, val: 6 })
  validImages.push(...linked.val)
  project = workDir('tryit-project')
  await thaw('init', project)
  await thaw('import', project, data)
  await thaw('train', project, '--epochs', '3')
})

const openProject = (page: Page): Promise<void> => openProjectAt(page, project)

/** A DataTransfer holding files, built in the page (as a real drop or paste carries them). */
function filesTransfer(page: Page, files: { name: string; type: string; bytes: Buffer }[]) {
  const list = JSON.stringify(files.map((f) => ({ name: f.name, type: f.type, b64: f.bytes.toString('base64') })))
  return page.evaluateHandle(`(() => {
    const dt = new DataTransfer()
    for (const f of ${list}) dt.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name, { type: f.type }))
    return dt
  })()`)
}

async function probsShown(panel: Locator): Promise<Record<string, number>> {
  const rows = panel.getByRole('list', { name: 'Probabilities' }).getByRole('listitem')
  await expect(rows).toHaveCount(2)
  const out: Record<string, number> = {}
  for (const row of await rows.all()) out[(await row.getAttribute('data-class'))!] = Number((await row.locator('.num').innerText()).replace('%', ''))
  return out
}

test('drop a picture on Try it and see the model’s probabilities; a text file gets the import’s reason', async ({ page }) => {
  test.skip(!project, `the data set is missing at ${hymenoptera}`)
  const picture = validImages[validImages.length - 1]!
  const stdout = await thaw('predict', project, picture, '--json')
  const out = JSON.parse(stdout) as PredictResult[] | { results?: PredictResult[]; predictions?: PredictResult[] }
  const expected = (Array.isArray(out) ? out : (out.results ?? out.predictions ?? []))[0]!

  await openProject(page)
  await nav(page, 'Train')
  const panel = page.getByRole('region', { name: 'Try it', exact: true })
  await expect(panel).toBeVisible()
  await panel.getByTestId('try-drop').dispatchEvent('drop', { dataTransfer: await filesTransfer(page, [{ name: 'bee.jpg', type: 'image/jpeg', bytes: fs.readFileSync(picture) }]) })
  await expect(panel.getByTestId('try-label')).toHaveText(expected.label!)
  const shown = await probsShown(panel)
  // the studio decodes the uploaded bytes with the same decoder as predict: the same figures
  for (const [cls, p] of Object.entries(expected.probs!)) expect(shown[cls]).toBeCloseTo(p * 100, 0)
  await expect(panel.getByRole('img', { name: /The picture being tried: bee\.jpg/ })).toBeVisible()
  // the nearest training images, from the cached features (training precomputed them)
  await expect(panel.getByRole('list', { name: 'Nearest training images' }).getByRole('listitem')).toHaveCount(8)

  await panel.getByTestId('try-drop').dispatchEvent('drop', {
    dataTransfer: await filesTransfer(page, [{ name: 'notes.jpg', type: 'image/jpeg', bytes: Buffer.from('a shopping list, not a photo\n'.repeat(20)) }])
  })
  await expect(panel.getByTestId('try-error')).toHaveText('This file cannot be used: not an image (text file).')
  await expect(panel.getByTestId('try-label')).toHaveCount(0)
})

test('T opens Try it from the library, and a pasted picture is tried', async ({ page }) => {
  test.skip(!project, `the data set is missing at ${hymenoptera}`)
  await openProject(page)
  await page.keyboard.press('t')
  const dialog = page.getByRole('dialog', { name: 'Try it' })
  await expect(dialog).toBeVisible()
  const dt = await filesTransfer(page, [{ name: 'pasted.jpg', type: 'image/jpeg', bytes: fs.readFileSync(validImages[0]!) }])
  // a string, not a function: the e2e tsconfig has no DOM types
  await dt.evaluate(new Function('data', "window.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data }))") as (d: unknown) => void)
  await expect(dialog.getByTestId('try-label')).toHaveText(/^(ants|bees)$/)
  await probsShown(dialog)
  await page.keyboard.press('Escape')
  await expect(dialog).toBeHidden()
})

test('confusion-matrix cells open their images; the most-confused list opens a pair', async ({ page }) => {
  test.skip(!project, `the data set is missing at ${hymenoptera}`)
  await openProject(page)
  await nav(page, 'Train')
  const train = page.getByRole('region', { name: 'Train', exact: true })
  const matrix = train.getByRole('table', { name: 'Confusion matrix' })
  const cells = matrix.getByTestId('confusion-cell')
  await expect(cells).toHaveCount(4)
  const losses = train.getByRole('region', { name: 'Top losses' })
  const tiles = losses.getByTestId('loss-tile')
  await expect(losses.getByTestId('losses-heading')).toHaveText('Top losses')
  await expect(tiles).toHaveCount(validImages.length)

  // every cell opens exactly its images: as many tiles as the count, each with that label
  for (const c of await cells.all()) {
    const count = Number(await c.innerText())
    const actual = (await c.getAttribute('data-actual'))!
    const predicted = (await c.getAttribute('data-predicted'))!
    await c.click()
    await expect(c).toHaveAttribute('aria-pressed', 'true')
    await expect(losses.getByTestId('losses-heading')).toHaveText(`${actual} predicted as ${predicted}`)
    await expect(tiles).toHaveCount(count)
    for (const t of await tiles.all()) await expect(t).toHaveAttribute('data-label', actual)
    if (count) await expect(tiles.first()).toHaveAttribute('aria-label', new RegExp(`^${actual}, predicted ${predicted} at`))
  }
  await losses.getByRole('button', { name: 'Show every image' }).click()
  await expect(losses.getByTestId('losses-heading')).toHaveText('Top losses')
  await expect(tiles).toHaveCount(validImages.length)

  const confused = train.getByRole('region', { name: 'Most confused' })
  const pairs = confused.getByTestId('confused-pair')
  if ((await pairs.count()) === 0) {
    await expect(confused.getByTestId('most-confused-none')).toBeVisible()
    return
  }
  const first = pairs.first()
  const count = Number(await first.locator('.count').innerText())
  await first.click()
  await expect(losses.getByTestId('losses-heading')).toHaveText(/ predicted as /)
  await expect(tiles).toHaveCount(count)
})

test('on request, the training images: their confusion matrix, cells and top losses', async ({ page }) => {
  test.skip(!project, `the data set is missing at ${hymenoptera}`)
  await openProject(page)
  await nav(page, 'Train')
  const train = page.getByRole('region', { name: 'Train', exact: true })
  await train.getByRole('radiogroup', { name: 'Images to drill into' }).getByRole('radio', { name: 'Training' }).click()
  const matrix = train.getByRole('table', { name: 'Confusion matrix' })
  // 12 training images per class were imported
  await expect(matrix.getByTestId('confusion-total')).toHaveText('24', { timeout: 60_000 })
  const losses = train.getByRole('region', { name: 'Top losses' })
  await expect(losses.getByTestId('losses-count')).toHaveText(/ of 24 training images misclassified/)
  await expect(losses.getByTestId('loss-tile')).toHaveCount(24)
  const bees = matrix.locator('[data-testid="confusion-cell"][data-actual="bees"][data-predicted="bees"]')
  const count = Number(await bees.innerText())
  await bees.click()
  await expect(losses.getByTestId('losses-heading')).toHaveText('bees predicted as bees')
  await expect(losses.getByTestId('loss-tile')).toHaveCount(count)
  await expect(losses.getByTestId('losses-count')).toHaveText(`0 of ${count} training images misclassified; most confidently wrong first.`)
  // and back to the validation images
  await train.getByRole('radiogroup', { name: 'Images to drill into' }).getByRole('radio', { name: 'Validation' }).click()
  await expect(matrix.getByTestId('confusion-total')).toHaveText(String(validImages.length))
})
