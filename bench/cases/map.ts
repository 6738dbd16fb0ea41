/**
 * The embedding map's interactivity at scale: a project of N synthetic cached images (default
 * 20,000; fixtures.ts) with a chosen model's stored prediction for each, served in browser mode
 * and opened in Chromium. The Review screen draws the map, then the bench pans it (a drag of the
 * mouse, one move per step), zooms it (wheel steps about the pointer), switches the colouring to
 * the predictions, clicks points and draws a lasso, timing every frame (requestAnimationFrame
 * deltas) and every redraw of the canvas (the component's own `mapdraw` event: the JavaScript
 * and canvas time of one redraw).
 *
 *   npx electron-vite build && node --import tsx bench/cases/map.ts [n]
 *   npm run bench map            # THAW_BENCH_MAP_N=20000
 */
import os from 'node:os'
import fs from 'node:fs'
import { chromium, type Page } from 'playwright-core'
import { rendererDir } from '../../src/main/cli/serve'
import { startServer } from '../../src/main/server/server'
import { fakeModelWithPredictions, openProjectOf, syntheticProject } from './fixtures'

const loadAverage = (): number[] => os.loadavg().map((l) => Math.round(l * 10) / 10)

interface Timings {
  count: number
  p50: number
  p95: number
  max: number
  mean: number
}

function stats(values: number[]): Timings {
  const sorted = [...values].sort((a, b) => a - b)
  const pct = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0
  const r = (x: number): number => Math.round(x * 100) / 100
  return { count: values.length, p50: r(pct(50)), p95: r(pct(95)), max: r(sorted[sorted.length - 1] ?? 0), mean: r(values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)) }
}

/** Runs in the page: records animation-frame deltas and the map's redraw times until stopped. */
const RECORDER = `(function () {
  var canvas = document.querySelector('[data-testid="embedding-map"]')
  var rec = { frames: [], draws: [], running: true, last: 0 }
  canvas.addEventListener('mapdraw', function (e) { if (rec.running) rec.draws.push(e.detail.ms) })
  function step(t) { if (!rec.running) return; if (rec.last) rec.frames.push(t - rec.last); rec.last = t; requestAnimationFrame(step) }
  requestAnimationFrame(step)
  window.__mapBench = rec
})()`

async function measure(page: Page, phase: (box: { x: number; y: number; width: number; height: number }) => Promise<void>): Promise<{ frameMs: Timings; fps: number; drawMs: Timings; ms: number }> {
  const box = (await page.getByTestId('embedding-map').boundingBox())!
  await page.evaluate(RECORDER)
  const started = performance.now()
  await phase(box)
  await page.waitForTimeout(100)
  const ms = performance.now() - started
  const rec = (await page.evaluate('(function () { var r = window.__mapBench; r.running = false; return { frames: r.frames, draws: r.draws } })()')) as { frames: number[]; draws: number[] }
  const total = rec.frames.reduce((a, b) => a + b, 0)
  return { frameMs: stats(rec.frames), fps: Math.round((10 * 1000 * rec.frames.length) / Math.max(1, total)) / 10, drawMs: stats(rec.draws), ms: Math.round(ms) }
}

export async function run(opts: { n?: number } = {}): Promise<Record<string, unknown>> {
  const n = opts.n ?? Number(process.env.THAW_BENCH_MAP_N ?? 20_000)
  const out: Record<string, unknown> = { case: 'map', n, loadAverageBefore: loadAverage() }
  const t0 = performance.now()
  const { studio, dir } = await syntheticProject(n)
  fakeModelWithPredictions(openProjectOf(studio).db, ['a', 'b'])
  out.projectBuildMs = Math.round(performance.now() - t0)
  const server = await startServer(studio, { rendererDir: rendererDir() })
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(server.url)
    await page.getByRole('navigation', { name: 'Studio steps' }).getByRole('button', { name: 'Review', exact: true }).click()
    await page.getByRole('tab', { name: 'Embedding map' }).click()
    const t1 = performance.now()
    await page.getByRole('button', { name: 'Draw the map' }).click()
    await page.getByTestId('embedding-map').waitFor({ timeout: 300_000 })
    out.mapComputedMs = Math.round(performance.now() - t1)
    out.summary = await page.getByTestId('map-summary').textContent()
    await page.waitForTimeout(300)

    // pan: a drag across the canvas in 120 moves, there and back
    out.pan = await measure(page, async (b) => {
      const cx = b.x + b.width / 2
      const cy = b.y + b.height / 2
      await page.mouse.move(cx, cy)
      await page.mouse.down()
      for (let i = 1; i <= 120; i++) {
        const a = (i / 120) * 2 * Math.PI
        await page.mouse.move(cx + 150 * Math.sin(a), cy + 100 * Math.sin(2 * a))
      }
      await page.mouse.up()
    })
    // zoom: 60 wheel steps about the pointer, in then out
    out.zoom = await measure(page, async (b) => {
      await page.mouse.move(b.x + b.width * 0.4, b.y + b.height * 0.45)
      for (let i = 0; i < 60; i++) await page.mouse.wheel(0, i < 30 ? -120 : 120)
    })
    // colour by prediction: one redraw with the other colours (the predictions are read first)
    if ((await page.getByLabel('Colour by').locator('option[value="prediction"]').count()) > 0) {
      out.colourByPrediction = await measure(page, async () => {
        await page.getByLabel('Colour by').selectOption('prediction')
        await page.getByTestId('map-legend').filter({ hasText: 'Model' }).waitFor()
      })
      out.legend = await page.getByTestId('map-legend').innerText()
    } else out.colourByPrediction = 'not in this build'
    // clicks: 20 clicks over the canvas (each a hit test and, on a point, its image opened)
    out.clicks = await measure(page, async (b) => {
      for (let i = 0; i < 20; i++) await page.mouse.click(b.x + b.width * (0.2 + 0.03 * i), b.y + b.height * (0.3 + 0.02 * i))
    })
    // lasso: a Shift+drag ellipse over most of the map (drawn as it goes), then the selection
    out.lasso = await measure(page, async (b) => {
      await page.keyboard.down('Shift')
      await page.mouse.move(b.x + b.width * 0.95, b.y + b.height * 0.5)
      await page.mouse.down()
      for (let i = 0; i <= 60; i++) {
        const a = (i / 60) * 2 * Math.PI
        await page.mouse.move(b.x + b.width * (0.5 + 0.45 * Math.cos(a)), b.y + b.height * (0.5 + 0.45 * Math.sin(a)))
      }
      await page.mouse.up()
      await page.keyboard.up('Shift')
    })
    out.selected = await page.getByTestId('map-selection').textContent().catch(() => null)
    out.pageErrors = errors
  } finally {
    await browser.close()
    await server.close()
    await studio.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
  out.loadAverageAfter = loadAverage()
  return out
}

if (process.argv[1]?.endsWith('map.ts')) {
  const nArg = process.argv[2]
  run(nArg ? { n: Number(nArg) } : {}).then(
    (result) => {
      console.log(JSON.stringify(result, null, 2))
      process.exit(0)
    },
    (err: unknown) => {
      console.error(err)
      process.exit(1)
    }
  )
}
