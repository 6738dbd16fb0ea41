// The browser sample pages of exported tfjs and ONNX bundles: served by a plain static server (as a
// deployer would), each loads the model with its vendored runtime under its own strict CSP, with every other origin cut off, and an
// image dropped on it gets the label `thaw predict` gives.
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { expect, test, type Page } from '@playwright/test'
import type { PredictResult } from '../src/shared/types'
import { serveFolder } from '../test/main/export/staticServer'
import { hymenoptera, openStudio, repoRoot } from './helpers'

const run = promisify(execFile)
const thaw = (...args: string[]) =>
  run(process.execPath, [path.join(repoRoot, 'bin/thaw'), ...args], {
    cwd: repoRoot,
    env: { ...process.env, THAW_MODEL_MIRROR: process.env.THAW_MODEL_MIRROR ?? path.resolve(repoRoot, '../shared/backbones') },
    maxBuffer: 16 * 1024 * 1024
  })

let work: string
let project: string
let bundle: string
let onnxBundle: string

test.beforeAll(async ({}, testInfo) => {
  testInfo.setTimeout(300_000)
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'thaw-e2e-export-'))
  // a few images per class and split, copied to a temporary folder (never into the repo)
  for (const [split, n] of [['train', 8], ['val', 4]] as const) {
    for (const cls of ['ants', 'bees']) {
      const from = path.join(hymenoptera, split, cls)
      fs.mkdirSync(path.join(work, 'images', split, cls), { recursive: true })
      for (const name of fs.readdirSync(from).sort().slice(0, n)) fs.copyFileSync(path.join(from, name), path.join(work, 'images', split, cls, name))
    }
  }
  project = path.join(work, 'project')
  bundle = path.join(work, 'bundle')
  await thaw('init', project)
  await thaw('import', project, path.join(work, 'images'))
  await thaw('train', project, '--epochs', '3')
  await thaw('export', project, '--format', 'tfjs', '--out', bundle)
  onnxBundle = path.join(work, 'bundle-onnx')
  await thaw('export', project, '--format', 'onnx', '--out', onnxBundle)
})

test.afterAll(async () => {
  if (work) fs.rmSync(work, { recursive: true, force: true })
})

/** Serves `dir` on 127.0.0.1, opens its page with every other origin cut off (a deployer's page
 * offline, or behind a strict proxy), drops the most confident of a few validation bees on it,
 * and checks its label against `thaw predict` on the same bundle. */
async function dropOnPage(page: Page, dir: string, ready: RegExp): Promise<void> {
  const site = await serveFolder(dir)
  try {
    const problems: string[] = []
    const elsewhere: string[] = []
    page.on('pageerror', (e) => problems.push(e.message))
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text())
    })
    page.on('requestfailed', (r) => problems.push(`${r.url()}: ${r.failure()?.errorText}`))
    const origin = new URL(site.url).origin
    await page.route('**/*', (route) => {
      const url = route.request().url()
      if (url.startsWith(origin) || url.startsWith('blob:') || url.startsWith('data:')) return route.continue()
      elsewhere.push(url)
      return route.abort('internetdisconnected')
    })

    // the most confident of a few validation images: a canvas resize must not be able to flip it
    const candidates = fs.readdirSync(path.join(hymenoptera, 'val', 'bees')).sort().slice(10, 14).map((n) => path.join(hymenoptera, 'val', 'bees', n))
    const { stdout } = await thaw('predict', dir, ...candidates, '--json')
    const results = JSON.parse(stdout) as PredictResult[]
    const best = results.reduce((a, b) => (Math.max(...Object.values(b.probs!)) > Math.max(...Object.values(a.probs!)) ? b : a))

    await page.goto(site.url)
    await expect(page.locator('#status')).toHaveText(ready, { timeout: 60_000 })

    // a real drop: a DataTransfer holding the file, built in the page (a string: no DOM types here)
    const b64 = JSON.stringify(fs.readFileSync(best.path).toString('base64'))
    const dataTransfer = await page.evaluateHandle(`(() => {
      const dt = new DataTransfer()
      dt.items.add(new File([Uint8Array.from(atob(${b64}), (c) => c.charCodeAt(0))], ${JSON.stringify(path.basename(best.path))}, { type: 'image/jpeg' }))
      return dt
    })()`)
    await page.locator('#drop').dispatchEvent('drop', { dataTransfer })

    const label = page.locator('#label')
    await expect(label).toHaveAttribute('data-label', best.label!, { timeout: 30_000 })
    await expect(label).toHaveText(new RegExp(`^${best.label} \\(\\d+\\.\\d%\\)$`))
    await expect(page.getByRole('list', { name: 'Probabilities' }).getByRole('listitem')).toHaveCount(2)
    await expect(page.locator('#preview')).toBeVisible()

    // the browser decodes with a canvas, not sharp: close to the studio, not equal (see the card)
    const probs = JSON.parse((await label.getAttribute('data-probs'))!) as number[]
    const diff = Math.max(...['ants', 'bees'].map((c, i) => Math.abs(probs[i]! - best.probs![c]!)))
    test.info().annotations.push({ type: 'browser vs studio max |diff|', description: diff.toExponential(2) })
    expect(diff).toBeLessThan(0.1)
    expect(problems).toEqual([])
    expect(elsewhere, 'requests to other origins').toEqual([])
  } finally {
    await site.close()
  }
}

test('drop an image on the tfjs bundle page and see its label, offline', async ({ page }) => {
  await dropOnPage(page, bundle, /^Ready \(TF\.js wasm\)\. 2 classes: ants, bees\.$/)
})

test('the ONNX bundle page runs its vendored onnxruntime-web offline, under its strict CSP', async ({ page }) => {
  test.setTimeout(120_000)
  await dropOnPage(page, onnxBundle, /^Ready \(onnxruntime-web 1\.30\.0\)\. 2 classes: ants, bees\.$/)
})

test('the Export screen writes an ONNX bundle and shows its proof', async ({ page }) => {
  test.setTimeout(180_000)
  await openStudio(page)
  await page.getByRole('button', { name: 'Projects', exact: true }).click()
  await page.getByLabel('Project folder to open').fill(project)
  await page.getByRole('button', { name: 'Open project' }).click()
  await expect(page.getByRole('region', { name: 'Library' })).toBeVisible()

  await page.getByRole('button', { name: 'Export', exact: true }).click()
  const screen = page.getByRole('region', { name: 'Export' })
  await expect(screen.getByText(/validation accuracy \d+\.\d% when trained/)).toBeVisible()
  await screen.getByRole('radio', { name: /ONNX/ }).check()
  await expect(screen.getByLabel('ONNX opset (13–21)')).toHaveValue('13')
  const out = path.join(work, 'from-the-app')
  await screen.getByLabel('Folder for the bundle').fill(out)
  await screen.getByRole('button', { name: 'Export', exact: true }).click()

  const report = screen.getByTestId('export-report')
  await expect(report).toBeVisible({ timeout: 150_000 })
  await expect(report).toContainText('Proven equal: on 8 validation images')
  await expect(report.getByRole('table', { name: 'Classes' }).getByRole('row')).toHaveCount(3)
  expect(fs.readdirSync(out)).toEqual(expect.arrayContaining(['model.onnx', 'labels.json', 'preprocessing.json', 'MODEL_CARD.md', 'model-card.json']))

  await test.step("the same folder again is refused in the screen's words, and the report stays", async () => {
    await screen.getByRole('button', { name: 'Export', exact: true }).click()
    const error = screen.getByTestId('export-error')
    await expect(error).toHaveText(`${out} is not empty. Choose another folder, or tick “Replace an earlier export in this folder” to replace the earlier export in it.`)
    await expect(error).not.toContainText('--force')
    await expect(report).toContainText('Proven equal: on 8 validation images')
    await expect(screen.getByRole('heading', { name: 'The last export that succeeded' })).toBeVisible()
  })

  await test.step('an opset out of range is refused beside the field, and Export waits', async () => {
    await screen.getByLabel('ONNX opset (13–21)').fill('99')
    await expect(screen.getByText('99 is more than 21, the most allowed')).toBeVisible()
    await expect(screen.getByRole('button', { name: 'Export', exact: true })).toBeDisabled()
    await screen.getByLabel('ONNX opset (13–21)').fill('13')
  })

  await test.step('ticking the box replaces the earlier export, and the error goes', async () => {
    await screen.getByLabel('Replace an earlier export in this folder').check()
    await screen.getByRole('button', { name: 'Export', exact: true }).click()
    await expect(screen.getByTestId('export-error')).toHaveCount(0)
    await expect(screen.getByRole('heading', { name: 'The last export that succeeded' })).toHaveCount(0, { timeout: 150_000 })
    await expect(report).toContainText('Proven equal: on 8 validation images')
  })
})

// A model trained on an ONNX backbone the user imported (MobileNetV2 cut at its feature layer,
// written as an NCHW .onnx by the studio's converter, as the vitest suites make it): its bundle
// is ONNX only, and its page runs the joined graph (the file + preprocessing + pooling + head) in
// onnxruntime-web; the Export screen offers ONNX alone and sends no opset (the file keeps its own).
test.describe('a model on an imported ONNX backbone', () => {
  let imported: string
  let importedBundle: string
  test.beforeAll(async ({}, testInfo) => {
    testInfo.setTimeout(300_000)
    const made = await run(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'test/helpers/writeOnnxBackbone.ts'), work], { cwd: repoRoot })
    const file = made.stdout.trim().split('\n').pop()! // the last line: TF.js greets on stdout first
    imported = path.join(work, 'imported')
    await thaw('init', imported)
    await thaw('import', imported, path.join(work, 'images'))
    const { stdout } = await thaw('import-backbone', file, '--name', 'MobileNetV2 (ONNX, e2e)', '--preprocessing', 'minus-one-to-one', '--json')
    const id = (JSON.parse(stdout) as { id: string }).id
    await thaw('train', imported, '--backbone', id, '--epochs', '3')
    importedBundle = path.join(work, 'bundle-imported')
    await thaw('export', imported, '--format', 'onnx', '--out', importedBundle)
  })

  test('its bundle page runs the joined graph in onnxruntime-web offline', async ({ page }) => {
    test.setTimeout(120_000)
    await dropOnPage(page, importedBundle, /^Ready \(onnxruntime-web 1\.30\.0\)\. 2 classes: ants, bees\.$/)
  })

  test('the Export screen offers ONNX only, and exports it with its proof', async ({ page }) => {
    test.setTimeout(180_000)
    await openStudio(page)
    await page.getByRole('button', { name: 'Projects', exact: true }).click()
    await page.getByLabel('Project folder to open').fill(imported)
    await page.getByRole('button', { name: 'Open project' }).click()
    await expect(page.getByRole('region', { name: 'Library' })).toBeVisible()
    await page.getByRole('button', { name: 'Export', exact: true }).click()
    const screen = page.getByRole('region', { name: 'Export' })
    await expect(screen.getByRole('radio', { name: /TF\.js/ })).toBeDisabled()
    await expect(screen.getByText(/its backbone is the ONNX file you imported, which TF\.js cannot run/)).toBeVisible()
    await expect(screen.getByRole('radio', { name: /^ONNX/ })).toBeChecked()
    await expect(screen.getByTestId('onnx-only')).toBeVisible()
    await expect(screen.getByLabel('ONNX opset (13–21)')).toHaveCount(0)
    const out = path.join(work, 'imported-from-the-app')
    await screen.getByLabel('Folder for the bundle').fill(out)
    await screen.getByRole('button', { name: 'Export', exact: true }).click()
    const report = screen.getByTestId('export-report')
    await expect(report).toBeVisible({ timeout: 150_000 })
    await expect(report).toContainText('Proven equal: on 8 validation images')
    expect(fs.readdirSync(out)).toEqual(expect.arrayContaining(['model.onnx', 'labels.json', 'MODEL_CARD.md']))
    expect(fs.readdirSync(out)).not.toContain('model.json')
  })
})
