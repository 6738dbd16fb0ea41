// The engine settings on the Precompute screen, end to end against `thaw serve`: switching the
// compute backend (and an unavailable one refused with the engine's reason, the previous choice
// kept), and importing a backbone from a folder: a tiny TF.js Layers model written here with
// @tensorflow/tfjs, listed and selected once imported; folders that are not such a model refused
// with the reason in the dialog.
//
// Resuming an interrupted run is not covered here: staging one needs an engine killed in the
// middle of an epoch. Its banner's rules and text are unit-tested (test/renderer/lib/interruptedRun.test.ts).
import * as tf from '@tensorflow/tfjs'
import fs from 'node:fs'
import path from 'node:path'
import { expect, test, type Locator, type Page } from '@playwright/test'
import { defaultCacheDir } from '../src/main/backbones/cache'
import { tfjsToOnnx } from '../src/main/export/onnx'
import { browseTo, createProject, failOnPageErrors, openStudio, repoRoot, workDir } from './helpers'

test.describe.configure({ mode: 'serial' })

failOnPageErrors()

const nav = (page: Page, name: string): Promise<void> =>
  page.getByRole('navigation', { name: 'Studio steps' }).getByRole('button', { name, exact: true }).click()

const precomputeScreen = (page: Page): Locator => page.getByRole('region', { name: 'Precompute', exact: true })

/** The imported backbone's id starts with this (custom-<folder slug>-<digest>); removed from the
 * studio's cache after the tests, so later tests and runs do not list it. */
let importedPrefix: string | null = null
/** the same for the imported ONNX backbone (onnx-<file slug>-<digest>) */
let importedOnnxPrefix: string | null = null

test.afterAll(() => {
  const cache = defaultCacheDir()
  for (const prefix of [importedPrefix, importedOnnxPrefix]) {
    if (!prefix) continue
    for (const entry of fs.existsSync(cache) ? fs.readdirSync(cache) : []) {
      if (entry.startsWith(prefix)) fs.rmSync(path.join(cache, entry), { recursive: true, force: true })
    }
  }
})

test('switch the compute backend to cpu and back to wasm; an unavailable one is refused and the previous stays', async ({ page }) => {
  await openStudio(page)
  await createProject(page, workDir('engine-project'), 'Engine checks')
  await nav(page, 'Precompute')
  const precompute = precomputeScreen(page)
  const badge = precompute.getByTestId('engine-backend')
  const choice = precompute.getByLabel('Backend to use')
  await expect(badge).toHaveText(/^(wasm|tensorflow|cpu)$/)

  await test.step('cpu: the engine restarts and reports plain JavaScript', async () => {
    await choice.selectOption('cpu')
    await expect(badge).toHaveText('cpu', { timeout: 30_000 })
    await expect(precompute.getByRole('status', { name: 'Compute backend' })).toContainText('pure JavaScript')
    await expect(choice).toHaveValue('cpu')
  })

  await test.step('back to wasm', async () => {
    await choice.selectOption('wasm')
    await expect(badge).toHaveText('wasm', { timeout: 30_000 })
    await expect(choice).toHaveValue('wasm')
  })

  const native = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'].some((p) => fs.existsSync(path.join(repoRoot, 'node_modules', p)))
  await test.step(native ? 'tensorflow is installed: it is used' : 'tensorflow is not installed: refused with the reason, wasm stays', async () => {
    await choice.selectOption('tensorflow')
    if (native) {
      await expect(badge).toHaveText('tensorflow', { timeout: 60_000 })
      return
    }
    await expect(page.getByRole('alert').filter({ hasText: "the 'tensorflow' backend is unavailable" })).toBeVisible({ timeout: 30_000 })
    await expect(choice).toHaveValue('wasm')
    await expect(choice).toBeEnabled()
    await expect(badge).toHaveText('wasm')
  })

  await test.step('auto again, as the studio started', async () => {
    await choice.selectOption('auto')
    await expect(choice).toHaveValue('auto')
    await expect(choice).toBeEnabled({ timeout: 30_000 })
    await expect(badge).toHaveText(/^(wasm|tensorflow)$/)
  })
})

/** A tiny conv net saved as a TF.js Layers model folder (model.json + weights.bin), as the
 * converter lays one out. */
async function writeTinyModel(folder: string): Promise<void> {
  await tf.setBackend('cpu')
  const input = tf.input({ shape: [32, 32, 3] })
  const stem = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'stem' }).apply(input) as tf.SymbolicTensor
  const top = tf.layers.conv2d({ filters: 8, kernelSize: 1, activation: 'relu', name: 'top_relu' }).apply(stem) as tf.SymbolicTensor
  const pooled = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(top) as tf.SymbolicTensor
  const out = tf.layers.dense({ units: 3, activation: 'softmax', name: 'predictions' }).apply(pooled) as tf.SymbolicTensor
  const model = tf.model({ inputs: input, outputs: out, name: 'tiny_net' })
  fs.mkdirSync(folder, { recursive: true })
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      fs.writeFileSync(path.join(folder, 'weights.bin'), Buffer.from(artifacts.weightData as ArrayBuffer))
      const weightsManifest = [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }]
      fs.writeFileSync(path.join(folder, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: artifacts.modelTopology, weightsManifest }))
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
    })
  )
  model.dispose()
}

/** The studio's slug of a folder name, as the imported backbone's id uses it. */
const slug = (name: string): string =>
  name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'model'

test('import a backbone from a folder: folders that are not a Layers model are refused, a tiny model is listed and selected', async ({ page }) => {
  const modelDir = workDir('tiny-layers-model')
  await writeTinyModel(modelDir)
  importedPrefix = `custom-${slug(path.basename(modelDir))}-`
  const notModel = workDir('not-a-model')
  fs.mkdirSync(notModel, { recursive: true })
  fs.writeFileSync(path.join(notModel, 'notes.txt'), 'no model here')
  const graphModel = workDir('graph-model')
  fs.mkdirSync(graphModel, { recursive: true })
  fs.writeFileSync(path.join(graphModel, 'model.json'), JSON.stringify({ format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [] }))

  await openStudio(page)
  await expect(page.getByTestId('project-name')).toHaveText('Engine checks')
  await nav(page, 'Precompute')
  const precompute = precomputeScreen(page)
  await precompute.getByRole('button', { name: 'Import from folder…' }).click()
  const dialog = page.getByRole('dialog', { name: 'Import a backbone from a folder' })
  const error = dialog.getByTestId('import-backbone-error')

  await test.step('a folder without model.json: the reason, and what a Layers model folder holds', async () => {
    await browseTo(page, dialog, 'Choose the model folder', notModel)
    await dialog.getByRole('button', { name: 'Import', exact: true }).click()
    await expect(error).toContainText('This folder could not be imported')
    await expect(error).toContainText(`${notModel} has no model.json`)
    await expect(error).toContainText('Thaw imports TF.js Layers models')
  })

  await test.step('a graph model: refused as one, with how to convert', async () => {
    await dialog.getByLabel('Model folder').fill(graphModel)
    await dialog.getByRole('button', { name: 'Import', exact: true }).click()
    await expect(error).toContainText('it is a graph model')
    await expect(error).toContainText('tfjs_layers_model')
  })

  await test.step('the tiny model, with a name and [0, 1] preprocessing: listed, selected, kept after a reload', async () => {
    await browseTo(page, dialog, 'Choose the model folder', modelDir)
    await dialog.getByLabel('Display name').fill('Tiny test net')
    const rule = dialog.getByTestId('preprocessing-rule')
    await expect(rule).toHaveText('x / 127.5 − 1: pixels 0–255 become −1 to 1')
    await dialog.getByRole('button', { name: '[0, 1]' }).click()
    await expect(rule).toHaveText('x / 255: pixels 0–255 become 0 to 1')
    await dialog.getByRole('button', { name: 'Import', exact: true }).click()
    await expect(dialog).toBeHidden({ timeout: 30_000 })

    const imported = precompute.getByRole('radio', { name: /Tiny test net/ })
    await expect(imported).toBeChecked()
    const option = precompute.locator('label').filter({ hasText: 'Tiny test net' })
    await expect(option).toContainText('32×32 input')
    await expect(option).toContainText('from a folder')
    await expect(option).toContainText(importedPrefix!)

    await page.reload()
    await expect(page.getByRole('status', { name: /Connection: Connected/ })).toBeVisible()
    await nav(page, 'Precompute')
    await expect(precompute.getByRole('radio', { name: /Tiny test net/ })).toBeVisible()
    // picking is not using: the project keeps its backbone until a precompute with another
    await expect(precompute.getByRole('radio', { name: /MobileNetV2 1\.0/ })).toBeChecked()
  })
})

/** A tiny NCHW conv net as an ONNX file (the PyTorch convention), written by the studio's converter. */
async function writeTinyOnnx(file: string): Promise<void> {
  const input = tf.input({ shape: [3, 32, 32], name: 'pixels' })
  const nhwc = tf.layers.permute({ dims: [2, 3, 1] }).apply(input) as tf.SymbolicTensor
  const map = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, activation: 'relu' }).apply(nhwc) as tf.SymbolicTensor
  const out = tf.layers.permute({ dims: [3, 1, 2] }).apply(map) as tf.SymbolicTensor
  const net = tf.model({ inputs: input, outputs: out })
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, await tfjsToOnnx(net, { outputName: 'features' }))
  net.dispose()
}

test('import an ONNX backbone: a file that is not ONNX is refused with the reason, a tiny NCHW net is listed as frozen', async ({ page }) => {
  const file = path.join(workDir('tiny-onnx'), 'tiny_encoder.onnx')
  await writeTinyOnnx(file)
  importedOnnxPrefix = 'onnx-tiny-encoder-'
  const notOnnx = path.join(workDir('not-onnx'), 'notes.onnx')
  fs.mkdirSync(path.dirname(notOnnx), { recursive: true })
  fs.writeFileSync(notOnnx, 'no model here')

  await openStudio(page)
  await expect(page.getByTestId('project-name')).toHaveText('Engine checks')
  await nav(page, 'Precompute')
  const precompute = precomputeScreen(page)
  await precompute.getByRole('button', { name: 'Import ONNX file…' }).click()
  const dialog = page.getByRole('dialog', { name: 'Import an ONNX backbone' })
  const error = dialog.getByTestId('import-backbone-error')

  await test.step('not ONNX: refused, with what an ONNX backbone is', async () => {
    await dialog.getByLabel('ONNX file').fill(notOnnx)
    await dialog.getByRole('button', { name: 'Import', exact: true }).click()
    await expect(error).toContainText('This file could not be imported')
    await expect(error).toContainText(`${notOnnx} is not an ONNX model that ONNX Runtime can load`)
    await expect(error).toContainText('Give one .onnx file holding the whole network')
  })

  await test.step('the tiny net with ImageNet preprocessing: listed as an ONNX file, frozen, and selected', async () => {
    await dialog.getByLabel('ONNX file').fill(file)
    await dialog.getByLabel('Display name').fill('Tiny ONNX encoder')
    await dialog.getByRole('button', { name: 'ImageNet' }).click()
    await expect(dialog.getByTestId('preprocessing-rule')).toContainText('then (x − mean) / std per channel: R 0.485 / 0.229')
    await dialog.getByRole('button', { name: 'Import', exact: true }).click()
    await expect(dialog).toBeHidden({ timeout: 30_000 })
    await expect(precompute.getByRole('radio', { name: /Tiny ONNX encoder/ })).toBeChecked()
    const option = precompute.locator('label').filter({ hasText: 'Tiny ONNX encoder' })
    await expect(option).toContainText('32×32 input')
    await expect(option).toContainText('ONNX file, frozen (runs on ONNX Runtime)')
    await expect(option.getByText('frozen', { exact: true })).toBeVisible()
  })
})
