// The library, end to end in a real browser against `thaw serve`: create a project, import the
// hymenoptera set in place, label by keyboard, undo, reload, filter, and see problem files.
import fs from 'node:fs'
import path from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import {
  cell,
  cellState,
  createProject,
  failOnPageErrors,
  focusedIndex,
  grid,
  gridTotal,
  hymenoptera,
  importFolder,
  openStudio,
  thawStatus,
  workDir
} from './helpers'

test.describe.configure({ mode: 'serial' })

failOnPageErrors()

test('create a project, import hymenoptera, label by keyboard, undo, reload, filter', async ({ page }) => {
  test.skip(!fs.existsSync(hymenoptera), `the data set is missing at ${hymenoptera}`)
  const projectDir = workDir('hymenoptera-project')
  await openStudio(page)

  await test.step('create the project from the UI', async () => {
    await createProject(page, projectDir, 'Ants and bees')
    await expect(page.getByText('No images yet')).toBeVisible()
  })

  await test.step('import the folder and read the report', async () => {
    const dialog = await importFolder(page, hymenoptera)
    await expect(dialog.getByTestId('report-imported')).toHaveText('398')
    const classes = dialog.getByRole('table', { name: 'Images per class' })
    await expect(classes.getByRole('row', { name: /ants/ })).toBeVisible()
    await expect(classes.getByRole('row', { name: /bees/ })).toBeVisible()
    const splits = dialog.getByRole('table', { name: 'Images per split' })
    await expect(splits.getByRole('row', { name: 'train 245' })).toBeVisible()
    await expect(splits.getByRole('row', { name: 'valid 153' })).toBeVisible()
    await dialog.getByRole('button', { name: 'Done' }).click()
  })

  await test.step('the grid shows 398 images, 245 train and 153 valid', async () => {
    await expect(gridTotal(page)).toHaveText('398 images')
    const splitFilter = page.getByRole('radiogroup', { name: 'Split' })
    await expect(splitFilter.getByRole('radio', { name: /Train/ })).toContainText('245')
    await expect(splitFilter.getByRole('radio', { name: /Valid/ })).toContainText('153')
    const classes = page.getByRole('list', { name: 'Classes' })
    await expect(classes.getByRole('button', { name: /^ants/ })).toBeVisible()
    await expect(classes.getByRole('button', { name: /^bees/ })).toBeVisible()
    await expect(cell(page, 0)).toHaveAttribute('data-status', 'ok')
    // virtualised: far fewer cells than images are in the DOM
    expect(await grid(page).getByTestId('cell').count()).toBeLessThan(120)
  })

  const start = await Promise.all([0, 1, 2, 3].map((i) => cellState(page, i)))
  const cols = await columnCount(page)
  const below = await cellState(page, 3 + cols)
  const initial = await thawStatus(projectDir)

  await test.step('label by keyboard: digits, u, arrows, v', async () => {
    await cell(page, 0).click()
    expect(await focusedIndex(page)).toBe(0)
    await page.keyboard.press('2') // bees; the focus moves on to the next image
    await expect(cell(page, 0)).toHaveAttribute('data-class', 'bees')
    await expect.poll(() => focusedIndex(page)).toBe(1)
    await page.keyboard.press('u') // unlabelled
    await expect(cell(page, 1)).toHaveAttribute('data-class', 'unlabelled')
    await expect.poll(() => focusedIndex(page)).toBe(2)
    await page.keyboard.press('ArrowRight')
    await expect.poll(() => focusedIndex(page)).toBe(3)
    await page.keyboard.press('v') // to valid (the focus stays)
    await expect(cell(page, 3)).toHaveAttribute('data-split', start[3]!.split === 'valid' ? 'train' : 'valid')
    await page.keyboard.press('ArrowDown') // a whole row down
    await expect.poll(() => focusedIndex(page)).toBe(3 + cols)
    await page.keyboard.press(below.cls === 'ants' ? '2' : '1')
    await expect(cell(page, 3 + cols)).toHaveAttribute('data-class', below.cls === 'ants' ? 'bees' : 'ants')
  })

  await test.step('undo the last change', async () => {
    await page.keyboard.press('Control+z')
    await expect(page.getByRole('status').filter({ hasText: /Undone: label 1 image/ })).toBeVisible()
    await expect(cell(page, 3 + cols)).toHaveAttribute('data-class', below.cls!)
  })

  const expectKept = async (): Promise<void> => {
    await expect(cell(page, 0)).toHaveAttribute('data-class', 'bees')
    await expect(cell(page, 1)).toHaveAttribute('data-class', 'unlabelled')
    await expect(cell(page, 2)).toHaveAttribute('data-class', start[2]!.cls!)
    await expect(cell(page, 3)).toHaveAttribute('data-split', start[3]!.split === 'valid' ? 'train' : 'valid')
    await expect(cell(page, 3 + cols)).toHaveAttribute('data-class', below.cls!)
  }

  await test.step('reload: the labels were saved', async () => {
    await page.reload()
    await expect(gridTotal(page)).toHaveText('398 images')
    await expectKept()
  })

  await test.step('another process sees the same labels (thaw status --json)', async () => {
    const status = await thawStatus(projectDir)
    const delta = (name: string): number =>
      (start[0]!.cls === name ? -1 : 0) + (name === 'bees' ? 1 : 0) + (start[1]!.cls === name ? -1 : 0)
    expect(status.classes.ants).toBe(initial.classes.ants! + delta('ants'))
    expect(status.classes.bees).toBe(initial.classes.bees! + delta('bees'))
    expect(status.unlabelled).toBe(initial.unlabelled + 1)
    const movedToValid = start[3]!.split === 'valid' ? -1 : 1
    expect(status.splits.valid).toBe(initial.splits.valid + movedToValid)
    expect(status.splits.train).toBe(initial.splits.train - movedToValid)
  })

  await test.step('filter by class, split and unlabelled', async () => {
    const status = await thawStatus(projectDir)
    const classes = page.getByRole('list', { name: 'Classes' })
    await classes.getByRole('button', { name: /^bees/ }).click()
    await expect(gridTotal(page)).toHaveText(`${status.classes.bees} images`)
    await expect(cell(page, 0)).toHaveAttribute('data-class', 'bees')
    const shown = grid(page).locator('[data-testid="cell"][data-class]')
    expect(await shown.evaluateAll((els) => els.every((e) => e.getAttribute('data-class') === 'bees'))).toBe(true)

    const beesValid = await classes.getByRole('button', { name: /^bees/ }).getAttribute('title')
    const validCount = Number(/valid (\d+)/.exec(beesValid ?? '')?.[1])
    await page.getByRole('radiogroup', { name: 'Split' }).getByRole('radio', { name: /Valid/ }).click()
    await expect(gridTotal(page)).toHaveText(`${validCount} images`)
    expect(await shown.evaluateAll((els) => els.every((e) => e.getAttribute('data-split') === 'valid'))).toBe(true)

    await page.getByRole('radiogroup', { name: 'Split' }).getByRole('radio', { name: 'All' }).click()
    await page.getByRole('group', { name: 'Labels' }).getByRole('button', { name: /^Unlabelled/ }).click()
    await expect(gridTotal(page)).toHaveText('1 image')
    await expect(cell(page, 0)).toHaveAttribute('data-id', start[1]!.id!)

    await page.getByRole('group', { name: 'Labels' }).getByRole('button', { name: /^All images/ }).click()
    await expect(gridTotal(page)).toHaveText('398 images')
  })
})

/** Cells in the first row: the ones at the same height as cell 0. */
async function columnCount(page: Page): Promise<number> {
  const top = (await cell(page, 0).boundingBox())?.y
  let n = 1
  while ((await cell(page, n).boundingBox())?.y === top) n++
  return n
}

/** A small class-folder tree with two broken files among good ones. */
function brokenFolder(): string {
  const root = workDir('broken-folder')
  const ants = path.join(hymenoptera, 'train/ants')
  const good = fs.readdirSync(ants).filter((f) => f.endsWith('.jpg')).slice(0, 5)
  fs.mkdirSync(path.join(root, 'cats'), { recursive: true })
  fs.mkdirSync(path.join(root, 'dogs'), { recursive: true })
  good.slice(0, 3).forEach((f) => fs.copyFileSync(path.join(ants, f), path.join(root, 'cats', f)))
  good.slice(3).forEach((f) => fs.copyFileSync(path.join(ants, f), path.join(root, 'dogs', f)))
  // a JPEG signature followed by garbage: looks like a JPEG, cannot be decoded
  const garbage = Buffer.alloc(4096, 0x5a)
  Buffer.from([0xff, 0xd8, 0xff, 0xe0]).copy(garbage)
  fs.writeFileSync(path.join(root, 'cats', 'corrupt.jpg'), garbage)
  fs.writeFileSync(path.join(root, 'dogs', 'empty.jpg'), Buffer.alloc(0))
  return root
}

test('problem files: a corrupt and a 0-byte file are shown with their reasons', async ({ page }) => {
  test.skip(!fs.existsSync(hymenoptera), `the data set is missing at ${hymenoptera}`)
  const folder = brokenFolder()
  await openStudio(page)
  await createProject(page, workDir('broken-project'), 'Broken files')

  // chosen with the folder browser (browser mode has no native dialog)
  const dialog = await importFolder(page, folder, { browse: true })
  await expect(dialog.getByTestId('report-imported')).toHaveText('5')
  const issues = dialog.getByRole('list', { name: 'Problems, warnings and skipped files' })
  // problems only: small classes also get a warning about their few validation images
  await expect(issues.locator('li.problem')).toHaveCount(2)
  await expect(issues.getByRole('listitem').filter({ hasText: 'empty.jpg' })).toContainText('empty file (0 bytes)')
  await expect(issues.getByRole('listitem').filter({ hasText: 'corrupt.jpg' })).toContainText(/corrupt|truncated|not an image/i)

  await dialog.getByRole('button', { name: 'Show problem files in the grid' }).click()
  await expect(page.getByRole('combobox', { name: 'Status' })).toHaveValue('issues')
  await expect(gridTotal(page)).toHaveText('2 images')
  const problemCells = grid(page).locator('[data-testid="cell"][data-status="problem"]')
  await expect(problemCells).toHaveCount(2)
  const empty = problemCells.filter({ hasText: 'empty file (0 bytes)' })
  await expect(empty).toHaveCount(1)
  await expect(empty.getByTestId('cell-flag')).toHaveAttribute('title', /empty file \(0 bytes\)/)

  await empty.click()
  await expect(page.getByTestId('preview-reason')).toContainText('empty file (0 bytes)')

  // the rest of the library is still there
  await page.getByRole('combobox', { name: 'Status' }).selectOption('any')
  await expect(gridTotal(page)).toHaveText('7 images')
})

test('classes and bulk actions: add, bulk relabel, rename, merge, undo, delete, export the tree', async ({ page }) => {
  test.skip(!fs.existsSync(hymenoptera), `the data set is missing at ${hymenoptera}`)
  await openStudio(page)
  await createProject(page, workDir('classes-project'), 'Classes')
  const dialog = await importFolder(page, hymenoptera)
  await dialog.getByRole('button', { name: 'Done' }).click()
  await expect(gridTotal(page)).toHaveText('398 images')
  const classes = page.getByRole('list', { name: 'Classes' })

  await test.step('fast triage under a class filter: each key labels the next image', async () => {
    await classes.getByRole('button', { name: /^bees/ }).click()
    await expect(cell(page, 0)).toHaveAttribute('data-class', 'bees')
    const ids = await Promise.all([0, 1, 2, 3, 4, 5].map(async (i) => (await cellState(page, i)).id))
    await cell(page, 0).click()
    for (let i = 0; i < 5; i++) await page.keyboard.press('1') // as fast as Playwright types
    // the five left the bees view; the focus is on the sixth, now first
    await expect(cell(page, 0)).toHaveAttribute('data-id', ids[5]!)
    await expect.poll(() => focusedIndex(page)).toBe(0)
    for (let i = 0; i < 5; i++) await page.keyboard.press('Control+z')
    await expect(cell(page, 0)).toHaveAttribute('data-id', ids[0]!)
    await page.getByRole('group', { name: 'Labels' }).getByRole('button', { name: /^All images/ }).click()
    await expect(gridTotal(page)).toHaveText('398 images')
  })

  await test.step('add a class: it gets the next digit', async () => {
    await page.getByLabel('New class name').fill('wasps')
    await page.getByLabel('New class name').press('Enter')
    const row = classes.getByRole('listitem').filter({ hasText: 'wasps' })
    await expect(row.getByRole('button', { name: /^wasps/ })).toBeVisible()
    await expect(row.locator('kbd')).toHaveText('3')
  })

  await test.step('shift-click selects a range; the action bar relabels it', async () => {
    await cell(page, 0).click()
    await cell(page, 4).click({ modifiers: ['Shift'] })
    const bar = page.getByRole('toolbar', { name: 'Selection actions' })
    await expect(bar.getByTestId('selection-count')).toHaveText('5 selected')
    await bar.getByRole('button', { name: 'Label selection wasps' }).click()
    for (let i = 0; i < 5; i++) await expect(cell(page, i)).toHaveAttribute('data-class', 'wasps')
    await expect(classes.getByRole('button', { name: /^wasps/ })).toContainText('5')
  })

  await test.step('ctrl-click toggles one, Ctrl+A selects all, Esc clears', async () => {
    await cell(page, 7).click({ modifiers: ['Control'] })
    const bar = page.getByRole('toolbar', { name: 'Selection actions' })
    await expect(bar.getByTestId('selection-count')).toHaveText('6 selected')
    await page.keyboard.press('Control+a')
    await expect(bar.getByTestId('selection-count')).toHaveText('398 selected')
    await page.keyboard.press('Escape')
    await expect(bar).toBeHidden()
  })

  const editClass = async (name: string): Promise<import('@playwright/test').Locator> => {
    await page.getByRole('button', { name: `Edit class ${name}` }).click()
    return page.getByRole('dialog', { name: `Class “${name}”` })
  }

  await test.step('rename', async () => {
    const d = await editClass('wasps')
    await d.getByLabel('Rename').fill('hornets')
    await d.getByRole('button', { name: 'Rename' }).click()
    await expect(d).toBeHidden()
    await expect(cell(page, 0)).toHaveAttribute('data-class', 'hornets')
  })

  await test.step('merge into bees, then undo it', async () => {
    const beesBefore = Number(await classes.getByRole('button', { name: /^bees/ }).locator('.count').textContent())
    const d = await editClass('hornets')
    await d.getByLabel(/Merge into another class/).selectOption({ label: 'bees' })
    await d.getByRole('button', { name: 'Merge' }).click()
    await expect(classes.getByRole('button', { name: /^hornets/ })).toBeHidden()
    await expect(classes.getByRole('button', { name: /^bees/ }).locator('.count')).toHaveText(String(beesBefore + 5))
    await expect(cell(page, 0)).toHaveAttribute('data-class', 'bees')
    await page.locator('body').press('Control+z')
    await expect(classes.getByRole('button', { name: /^hornets/ })).toBeVisible()
    await expect(cell(page, 0)).toHaveAttribute('data-class', 'hornets')
  })

  await test.step('delete: its images become unlabelled', async () => {
    const d = await editClass('hornets')
    await d.getByRole('button', { name: 'Delete class' }).click()
    await expect(classes.getByRole('button', { name: /^hornets/ })).toBeHidden()
    await expect(page.getByRole('group', { name: 'Labels' }).getByRole('button', { name: /^Unlabelled/ })).toContainText('5')
    await expect(cell(page, 0)).toHaveAttribute('data-class', 'unlabelled')
  })

  await test.step('export the labelled set as a class-folder tree', async () => {
    const dest = workDir('export-tree')
    await page.getByRole('button', { name: 'Export folders…' }).click()
    const d = page.getByRole('dialog', { name: 'Export as class folders' })
    await d.getByLabel('Destination folder').fill(dest)
    await d.getByRole('button', { name: 'Export', exact: true }).click()
    await expect(d.getByTestId('export-result')).toContainText('Copied 393 images')
    const count = (dir: string): number => fs.readdirSync(path.join(dest, dir)).length
    expect(count('train/ants') + count('train/bees') + count('valid/ants') + count('valid/bees')).toBe(393)
    await d.getByRole('button', { name: 'Done' }).click()
  })
})
