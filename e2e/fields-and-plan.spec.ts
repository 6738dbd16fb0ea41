// Number fields refuse what they cannot take, next to the field and in words, instead of clamping
// it (Views 99 once became 16 and started a 27-minute job); the plan editor says what is wrong
// with each field, asks before a preset replaces the user's edits, and renames a stage whose name
// stopped describing what it trains.
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { expect, test, type Page } from '@playwright/test'
import { failOnPageErrors, hymenoptera, openStudio, repoRoot, workDir } from './helpers'

test.describe.configure({ mode: 'serial' })
failOnPageErrors()

const run = promisify(execFile)
let projectDir = ''

test.beforeAll(async () => {
  test.skip(!fs.existsSync(hymenoptera), `the data set is missing at ${hymenoptera}`)
  projectDir = workDir('fields')
  await run(process.execPath, [path.join(repoRoot, 'bin/thaw'), 'init', projectDir], { cwd: repoRoot })
  await run(process.execPath, [path.join(repoRoot, 'bin/thaw'), 'import', projectDir, hymenoptera], { cwd: repoRoot })
})

async function open(page: Page, screen: string): Promise<void> {
  await openStudio(page)
  await page.getByRole('button', { name: 'Projects', exact: true }).click()
  await page.getByLabel('Project folder to open').fill(projectDir)
  await page.getByRole('button', { name: 'Open project' }).click()
  await expect(page.getByRole('region', { name: 'Library' })).toBeVisible()
  await page.getByRole('navigation', { name: 'Studio steps' }).getByRole('button', { name: screen, exact: true }).click()
}

test('Views out of range is refused next to the field, and Precompute waits', async ({ page }) => {
  await open(page, 'Precompute')
  const screen = page.getByRole('region', { name: 'Precompute' })
  const views = screen.getByLabel('Augmented views per training image')
  const precompute = screen.getByRole('button', { name: 'Precompute', exact: true })
  await expect(precompute).toBeEnabled({ timeout: 30_000 })

  for (const [typed, said] of [
    ['99', '99 is more than 16, the most allowed'],
    ['-1', '-1 is less than 0, the least allowed'],
    ['2.5', '2.5 is not a whole number: enter one from 0 to 16'],
    ['', 'Enter a whole number from 0 to 16']
  ] as const) {
    await views.fill(typed)
    await expect(screen.getByRole('alert')).toHaveText(said)
    await expect(views).toHaveAttribute('aria-invalid', 'true')
    await expect(precompute).toBeDisabled()
    // the field keeps what was typed: nothing is clamped behind the user's back
    await expect(views).toHaveValue(typed)
  }

  await views.fill('4')
  await expect(screen.getByRole('alert')).toHaveCount(0)
  await expect(precompute).toBeEnabled()
  // before the click, the screen says what is cached and what one click would compute: nothing
  // is cached in this project yet; 4 views add 4 rows per training image (245 of them)
  const status = screen.getByTestId('cache-status')
  await expect(status).toContainText(/^0 of 1,378 activations cached; 1,378 to compute\./, { timeout: 30_000 })
  await expect(status).toContainText('398 images, one plain view each (0 cached), plus 4 augmented views of each training image (0 of 980 cached)')
  await views.fill('0')
  await expect(status).toContainText(/^0 of 398 activations cached; 398 to compute\./)
  // the choice is kept for the project (Train uses it); a refused value never was
  await page.reload()
  await expect(page.getByRole('status', { name: /Connection: Connected/ })).toBeVisible()
})

test('Train: epochs and learning rate refuse bad values beside each field', async ({ page }) => {
  await open(page, 'Train')
  const form = page.getByRole('form', { name: 'Train the head' })
  const train = form.getByRole('button', { name: /^Train/ })
  await form.getByLabel('Epochs').fill('2.5')
  await expect(form.getByRole('alert')).toHaveText('2.5 is not a whole number: enter one from 1 to 1000')
  await expect(train).toBeDisabled()
  await form.getByLabel('Epochs').fill('5')
  await form.getByLabel('Learning rate').fill('0')
  await expect(form.getByRole('alert')).toHaveText('0 is too low: it must be above 0')
  await expect(train).toBeDisabled()
  await form.getByLabel('Learning rate').fill('0.003')
  await expect(form.getByRole('alert')).toHaveCount(0)
})

test('the plan editor names what is wrong, asks before a preset replaces edits, and renames a stage', async ({ page }) => {
  await open(page, 'Layers')
  const layers = page.getByRole('region', { name: 'Layers', exact: true })
  const stage1 = layers.getByRole('group', { name: 'Stage 1', exact: true })
  const stage2 = layers.getByRole('group', { name: 'Stage 2', exact: true })
  const summary = layers.getByTestId('plan-summary')
  await expect(summary).toHaveText('2 stages, 6 epochs')

  await test.step('2.5 epochs is not a number problem, and the total does not count it', async () => {
    await stage1.getByLabel('Epochs').fill('2.5')
    await expect(stage1.getByRole('alert')).toHaveText('Stage 1 (head): epochs must be a whole number (not 2.5)')
    await expect(summary).toHaveText('2 stages, epochs to fix')
  })

  await test.step('an empty rate needs a number (never "Invalid input"); a backwards range is said at once', async () => {
    await stage1.getByLabel('Rate', { exact: true }).fill('')
    await expect(stage1.getByRole('alert')).toContainText('Stage 1 (head): the learning rate needs a number')
    await expect(layers).not.toContainText('Invalid input')
    await stage2.getByLabel('Lowest group').fill('1e-2')
    await expect(stage2.getByRole('alert')).toHaveText("Stage 2 (all): the lowest group's rate (1e-2) is above the head's (1e-3): the earliest groups should learn slowest, so swap them")
    await expect(layers.getByRole('button', { name: 'Run plan' })).toBeDisabled()
  })

  await test.step('a preset asks before it replaces the edits', async () => {
    await layers.getByRole('button', { name: 'head only', exact: true }).click()
    const ask = page.getByRole('dialog', { name: 'Replace the plan?' })
    await expect(ask).toBeVisible()
    await ask.getByRole('button', { name: 'Keep my plan' }).click()
    await expect(ask).toBeHidden()
    await expect(stage2).toBeVisible()
    await expect(stage1.getByLabel('Epochs')).toHaveValue('2.5')

    await layers.getByRole('button', { name: 'gradual thaw', exact: true }).click()
    await ask.getByRole('button', { name: 'Replace with “gradual thaw”' }).click()
    await expect(layers.getByRole('group', { name: 'Stage 3', exact: true })).toBeVisible()
    await expect(summary).toHaveText('3 stages, 12 epochs')
    // an unchanged preset is replaced without a question
    await layers.getByRole('button', { name: 'fine-tune', exact: true }).click()
    await expect(ask).toBeHidden()
    await expect(summary).toHaveText('2 stages, 6 epochs')
  })

  await test.step('moving the freeze boundary renames a stage called "head"; a name the user typed gets a warning', async () => {
    await stage1.getByLabel('Name').focus() // selects stage 1 for the strip
    const slider = page.getByRole('slider', { name: 'Freeze boundary' })
    await slider.focus()
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowUp')
    await expect(slider).toHaveAttribute('aria-valuetext', /middle \+ late \+ final \+ head$/)
    await expect(stage1.getByLabel('Name')).toHaveValue('last 3 groups')
    await page.keyboard.press('Home')
    await expect(stage1.getByLabel('Name')).toHaveValue('head')

    await stage1.getByLabel('Name').fill('head')
    await stage1.getByLabel('Trains').selectOption({ index: 1 })
    await expect(stage1.getByLabel('Name')).not.toHaveValue('head')
    await stage1.getByLabel('Name').fill('head')
    await expect(stage1.getByTestId('stage-name-warning')).toContainText('The name “head” says it trains the head only, but this stage trains')
    await stage1.getByLabel('Name').fill('warm-up')
    await expect(stage1.getByTestId('stage-name-warning')).toHaveCount(0)
  })
})

test("a stage's LR finder shows its progress beside the stage while it builds the cache", async ({ page }) => {
  await open(page, 'Layers')
  const layers = page.getByRole('region', { name: 'Layers', exact: true })
  const stage1 = layers.getByRole('group', { name: 'Stage 1', exact: true })
  // nothing is precomputed in this project: the sweep first builds the head's cache
  await stage1.getByRole('button', { name: 'LR finder for stage 1' }).click()
  const progress = stage1.getByTestId('finder-progress')
  await expect(progress).toBeVisible()
  await expect(progress.getByRole('group', { name: /progress$/ })).toContainText('building the cache for the sweep', { timeout: 30_000 })
  await progress.getByRole('button', { name: 'Cancel' }).click()
  await expect(progress).toHaveCount(0, { timeout: 30_000 })
  await expect(stage1.getByTestId('lr-suggestion')).toHaveCount(0)
})
