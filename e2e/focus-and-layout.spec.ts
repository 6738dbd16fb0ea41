// What a new user hit in the library at laptop widths: the keyboard left on the button that
// opened a dialog (Enter reopened Import instead of opening the preview), and a toolbar that
// clipped its filters ("Valid 153" cut off, "Problems & warni") between 1280 and 1440 px.
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { expect, test, type Page } from '@playwright/test'
import { failOnPageErrors, grid, hymenoptera, openStudio, repoRoot, workDir } from './helpers'

test.describe.configure({ mode: 'serial' })
failOnPageErrors()

const run = promisify(execFile)
let projectDir = ''

test.beforeAll(async () => {
  test.skip(!fs.existsSync(hymenoptera), `the data set is missing at ${hymenoptera}`)
  projectDir = workDir('focus-layout')
  // the import itself is tested in library.spec.ts: here the CLI makes the project quickly
  await run(process.execPath, [path.join(repoRoot, 'bin/thaw'), 'init', projectDir], { cwd: repoRoot })
  await run(process.execPath, [path.join(repoRoot, 'bin/thaw'), 'import', projectDir, hymenoptera], { cwd: repoRoot })
})

async function openProject(page: Page): Promise<void> {
  await openStudio(page)
  await page.getByRole('button', { name: 'Projects', exact: true }).click()
  await page.getByLabel('Project folder to open').fill(projectDir)
  await page.getByRole('button', { name: 'Open project' }).click()
  await expect(page.getByRole('region', { name: 'Library' })).toBeVisible()
  await expect(page.getByTestId('grid-total')).toHaveText('398 images')
}

const importDialog = (page: Page) => page.getByRole('dialog', { name: 'Import a folder' })
const lightbox = (page: Page) => page.getByRole('dialog', { name: 'Large preview' })

test('after a dialog closes, Enter opens the preview instead of reopening the dialog', async ({ page }) => {
  await openProject(page)
  await expect(grid(page)).toBeFocused()

  for (const close of ['Escape', 'the ✕'] as const) {
    await page.getByRole('button', { name: 'Import folder…' }).click()
    await expect(importDialog(page)).toBeVisible()
    if (close === 'Escape') await page.keyboard.press('Escape')
    else await importDialog(page).getByRole('button', { name: 'Close' }).click()
    await expect(importDialog(page)).toBeHidden()
    await expect(grid(page), `after closing with ${close}`).toBeFocused()
    await page.keyboard.press('Enter')
    await expect(lightbox(page)).toBeVisible()
    await expect(importDialog(page)).toBeHidden()
    await page.keyboard.press('Escape')
    await expect(lightbox(page)).toBeHidden()
  }

  await test.step('the key help dialog too, then Space', async () => {
    await page.getByRole('button', { name: 'Keyboard shortcuts' }).click()
    await page.keyboard.press('Escape')
    await page.keyboard.press(' ')
    await expect(lightbox(page)).toBeVisible()
    await page.keyboard.press('Escape')
  })
})

test('after a nav-rail click, Enter acts on the screen, not on the rail', async ({ page }) => {
  await openProject(page)
  await page.getByRole('button', { name: 'Precompute', exact: true }).click()
  await expect(page.getByRole('region', { name: 'Precompute' })).toBeVisible()
  await page.getByRole('button', { name: 'Library', exact: true }).click()
  await expect(grid(page)).toBeFocused()
  await page.keyboard.press('Enter')
  await expect(lightbox(page)).toBeVisible()
  await page.keyboard.press('Escape')

  // on a screen without a grid the keyboard lands in the content, not on the rail's button
  await page.getByRole('button', { name: 'Train', exact: true }).click()
  await expect(page.getByRole('main')).toBeFocused()
  await page.keyboard.press('Enter')
  await expect(page.getByRole('region', { name: 'Train' })).toBeVisible()
})

/** Page-side (a string: the e2e tsconfig has no DOM types): what in the library toolbar is cut
 * off, by the toolbar or by a box between (the split buttons' group clips), or a select too
 * narrow for the option it shows. */
const CLIPPED_IN_TOOLBAR = `(() => {
  const bar = document.querySelector('[role="radiogroup"][aria-label="Split"]').parentElement
  const out = []
  const box = bar.getBoundingClientRect()
  const ctx = document.createElement('canvas').getContext('2d')
  for (const el of bar.querySelectorAll('button, select, input, [role="status"]')) {
    const r = el.getBoundingClientRect()
    const name = el.getAttribute('aria-label') ?? el.textContent.trim()
    for (let up = el.parentElement; up; up = up === bar ? null : up.parentElement) {
      const b = up === bar ? box : up.getBoundingClientRect()
      if (r.right > b.right + 0.5 || r.left < b.left - 0.5 || r.bottom > b.bottom + 0.5) out.push(name + ' outside its ' + (up.getAttribute('aria-label') ?? up.className))
    }
    if (el.scrollWidth > el.clientWidth + 1) out.push(name + ' cut (' + el.scrollWidth + ' > ' + el.clientWidth + ')')
    if (el instanceof HTMLSelectElement) {
      const style = getComputedStyle(el)
      ctx.font = style.fontWeight + ' ' + style.fontSize + ' ' + style.fontFamily
      const text = el.selectedOptions[0]?.text ?? ''
      const need = ctx.measureText(text).width
      const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 16 // the arrow
      if (need > room) out.push(name + ': "' + text + '" needs ' + Math.ceil(need) + ' px, has ' + Math.floor(room))
    }
  }
  return out
})()`

for (const width of [1280, 1366, 1440]) {
  test(`the library toolbar shows every filter whole at ${width} px`, async ({ page }) => {
    await page.setViewportSize({ width, height: 900 })
    await openProject(page)
    const toolbar = page.getByRole('radiogroup', { name: 'Split' }).locator('..')
    await page.getByLabel('Status', { exact: true }).selectOption('issues')
    await expect(toolbar).toBeVisible()
    const clipped = (await page.evaluate(CLIPPED_IN_TOOLBAR)) as string[]
    expect(clipped).toEqual([])
    await expect(page.getByRole('radiogroup', { name: 'Split' }).getByRole('radio', { name: /Valid/ })).toContainText('153')
  })
}
