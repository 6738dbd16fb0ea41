/**
 * Library grid smoothness at scale: a project of N images (default 100,000) served in browser
 * mode and opened in chromium; the grid is scrolled continuously while requestAnimationFrame
 * measures frame times, and the JS heap is read (after a forced GC) before and after.
 *
 *   npx electron-vite build && node --import tsx bench/cases/grid.ts [n]
 *
 * Building N real thumbnails would take minutes, so the rows are inserted straight into the
 * project's SQLite database with distinct fake hashes, and a few hundred real thumbnails (made
 * by sharp from the hymenoptera set, exactly as import makes them) are hard-linked under every
 * hash. The grid cannot tell: each cell still fetches its own URL.
 *
 * Every image has a stored prediction of a chosen model (fixtures.ts: fake weights, one in eight
 * disagreeing with its label), so every cell carries its prediction badge, as after a run;
 * GRID_BENCH_BADGES=0 builds the project without a model, for the figure without badges.
 *
 * Two phases: "wheel" scrolls at a steady 3,000 px/s (a brisk trackpad scroll, where thumbnails
 * must appear); "fling" sweeps through the whole library at 60,000 px/s (a scrollbar drag),
 * which creates and drops every cell each frame. Then 80 random jumps load pages all over the
 * library, far more than the page cache holds: the heap must stay flat.
 *
 * Diagnostics (environment): GRID_BENCH_CSS='<css>' injects a style before measuring (to try a
 * rendering idea without a rebuild); GRID_BENCH_TRACE=<file> writes a Chrome trace and
 * GRID_BENCH_PROFILE=<file> a JS CPU profile of the wheel phase.
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { chromium, type CDPSession, type Page } from 'playwright-core'
import sharp from 'sharp'
import { rendererDir } from '../../src/main/cli/serve'
import { renderThumbnail, thumbnailPath } from '../../src/main/dataset/thumbnails'
import { Project } from '../../src/main/project/project'
import { startServer } from '../../src/main/server/server'
import { nowIso } from '../../src/main/store/db'
import { Studio } from '../../src/main/studio/studio'
import { fakeModelWithPredictions } from './fixtures'

const HYMENOPTERA = path.resolve(__dirname, '../../../shared/datasets/hymenoptera')
const REAL_THUMBS = 300
/** random jumps across the library after the scroll phases: each settles and loads its pages,
 * so far more pages pass through the cache than it holds (memory must stay flat anyway) */
const JUMPS = 80
const CLASSES = ['ants', 'bees', 'wasps']

export interface GridBenchOptions {
  /** images in the project (default 100,000) */
  n?: number
  /** seconds of each scroll phase (default 4) */
  seconds?: number
  /** a chosen model's prediction on every image, shown as each cell's badge (default true) */
  badges?: boolean
}

export async function run(opts: GridBenchOptions = {}): Promise<Record<string, unknown>> {
  const n = opts.n ?? 100_000
  const seconds = opts.seconds ?? 4
  const badges = opts.badges ?? process.env.GRID_BENCH_BADGES !== '0'
  const loadAverageBefore = os.loadavg().map((l) => Math.round(l * 10) / 10)
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'thaw-bench-grid-'))
  const studio = new Studio()
  let closeServer: (() => Promise<void>) | null = null
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
  try {
    const t0 = performance.now()
    const projectDir = await buildProject(path.join(work, 'project'), n, badges)
    const buildMs = performance.now() - t0

    await studio.invoke('openProject', { path: projectDir })
    const server = await startServer(studio, { rendererDir: rendererDir() })
    closeServer = server.close

    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    let wsFramesSent = 0
    page.on('websocket', (ws) => ws.on('framesent', () => wsFramesSent++))
    let thumbRequests = 0
    page.on('request', (r) => {
      if (r.url().includes('/media/thumb/')) thumbRequests++
    })

    const t1 = performance.now()
    await page.goto(server.url)
    await page
      .getByTestId('grid-total')
      .filter({ hasText: `${n.toLocaleString('en-US')} images` })
      .waitFor({ timeout: 60_000 })
      .catch(async (err: unknown) => {
        await page.screenshot({ path: path.join(os.tmpdir(), 'thaw-grid-bench-failure.png') })
        throw err
      })
    await page.locator('[data-testid="cell"] img').first().waitFor({ timeout: 30_000 })
    const firstPaintMs = performance.now() - t1
    await page.waitForTimeout(500)

    // experiments: GRID_BENCH_CSS='img { display: none }' shows what the thumbnails cost
    if (process.env.GRID_BENCH_CSS) await page.addStyleTag({ content: process.env.GRID_BENCH_CSS })
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('HeapProfiler.enable')
    const heapBefore = await heapUsed(cdp)
    const nodesBefore = await domNodes(cdp)

    const framesBeforeWheel = wsFramesSent
    if (process.env.GRID_BENCH_TRACE) await startTrace(cdp)
    if (process.env.GRID_BENCH_PROFILE) {
      await cdp.send('Profiler.enable')
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 })
      await cdp.send('Profiler.start')
    }
    const wheel = await scrollPhase(page, 3_000, seconds)
    if (process.env.GRID_BENCH_TRACE) await stopTrace(cdp, process.env.GRID_BENCH_TRACE)
    if (process.env.GRID_BENCH_PROFILE) {
      const { profile } = await cdp.send('Profiler.stop')
      fs.writeFileSync(process.env.GRID_BENCH_PROFILE, JSON.stringify(profile))
    }
    const wheelRequests = wsFramesSent - framesBeforeWheel
    const framesBeforeFling = wsFramesSent
    const fling = await scrollPhase(page, 60_000, seconds)
    const flingRequests = wsFramesSent - framesBeforeFling
    await page.waitForTimeout(1_000) // let the last pages and thumbnails land

    const heapAfterScroll = await heapUsed(cdp)
    const jumps = await jumpAround(page, JUMPS)
    const heapAfter = await heapUsed(cdp)
    const nodesAfter = await domNodes(cdp)
    const cellsInDom = await page.getByTestId('cell').count()
    const badgesInDom = await page.getByTestId('cell-prediction').count()
    return {
      case: 'grid',
      n,
      badges,
      loadAverageBefore,
      loadAverageAfter: os.loadavg().map((l) => Math.round(l * 10) / 10),
      secondsPerPhase: seconds,
      projectBuildMs: Math.round(buildMs),
      firstThumbnailMs: Math.round(firstPaintMs),
      wheel: { pxPerSecond: 3_000, ...wheel, commandsSent: wheelRequests },
      fling: { pxPerSecond: 60_000, ...fling, commandsSent: flingRequests },
      jumps,
      heapBeforeMB: mb(heapBefore),
      heapAfterScrollMB: mb(heapAfterScroll),
      heapAfterMB: mb(heapAfter),
      heapGrowthMB: mb(heapAfter - heapBefore),
      domNodesBefore: nodesBefore,
      domNodesAfter: nodesAfter,
      cellsInDom,
      badgesInDom,
      thumbRequests,
      pageErrors: errors
    }
  } finally {
    await browser.close()
    await closeServer?.()
    studio.close()
    fs.rmSync(work, { recursive: true, force: true })
  }
}

/** A project whose images table holds n rows with distinct hashes, each with a thumbnail (and,
 * with `badges`, a chosen model's prediction). */
async function buildProject(dir: string, n: number, badges: boolean): Promise<string> {
  const project = Project.create(dir, `grid bench ${n}`)
  try {
    const pool = await realThumbnails(path.join(dir, 'pool'))
    const db = project.db
    const classIds = CLASSES.map(
      (name, position) =>
        Number(db.prepare('INSERT INTO classes (name, position, created_at) VALUES (?, ?, ?)').run(name, position, nowIso()).lastInsertRowid)
    )
    const insert = db.prepare(
      `INSERT INTO images (path, root, rel_path, hash, bytes, mtime_ms, width, height, format, class_id, split, status, reason, imported_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'jpeg', ?, ?, 'ok', NULL, ?, ?)`
    )
    const root = '/bench/library'
    const now = nowIso()
    const hashes: string[] = []
    db.transaction(() => {
      for (let i = 0; i < n; i++) {
        const hash = createHash('sha256').update(`thaw-grid-bench-${i}`).digest('hex')
        hashes.push(hash)
        const cls = CLASSES[i % CLASSES.length]!
        const rel = `${cls}/img_${String(i).padStart(6, '0')}.jpg`
        // every 10th image unlabelled, every 5th in valid: a realistic mix of captions and badges
        const classId = i % 10 === 9 ? null : classIds[i % CLASSES.length]!
        insert.run(`${root}/${rel}`, root, rel, hash, 40_000 + (i % 1000), 0, 500, 375, classId, i % 5 === 0 ? 'valid' : 'train', now, now)
      }
    })()
    const dirs = new Set<string>()
    hashes.forEach((hash, i) => {
      const file = thumbnailPath(project.thumbDir, hash)
      const d = path.dirname(file)
      if (!dirs.has(d)) {
        fs.mkdirSync(d, { recursive: true })
        dirs.add(d)
      }
      fs.linkSync(pool[i % pool.length]!, file)
    })
    if (badges) fakeModelWithPredictions(db, CLASSES)
    return dir
  } finally {
    project.close()
  }
}

/** Thumbnails made by the import's own pipeline from the first images of hymenoptera. */
async function realThumbnails(dir: string): Promise<string[]> {
  fs.mkdirSync(dir, { recursive: true })
  const sources: string[] = []
  for (const split of ['train', 'val']) {
    for (const cls of ['ants', 'bees']) {
      const d = path.join(HYMENOPTERA, split, cls)
      for (const f of fs.readdirSync(d).sort()) if (f.endsWith('.jpg')) sources.push(path.join(d, f))
    }
  }
  if (sources.length === 0) throw new Error(`no images in ${HYMENOPTERA}`)
  const picked = sources.slice(0, REAL_THUMBS)
  const out: string[] = []
  for (let i = 0; i < picked.length; i += 8) {
    const batch = picked.slice(i, i + 8)
    const files = await Promise.all(
      batch.map(async (src, j) => {
        const file = path.join(dir, `${i + j}.webp`)
        fs.writeFileSync(file, await renderThumbnail(sharp(src).rotate()))
        return file
      })
    )
    out.push(...files)
  }
  return out
}

interface PhaseResult {
  frames: number
  fps: number
  p50FrameMs: number
  p95FrameMs: number
  p99FrameMs: number
  maxFrameMs: number
  framesOver20ms: number
  longFramesOver50ms: number
  scrolledPx: number
}

/** Runs in the page: one scroll step per animation frame, bouncing at the ends so a fast sweep
 * keeps moving for the whole phase; resolves with every frame's duration. */
const SCROLL_IN_PAGE = `function (speed, ms) {
  return new Promise(function (resolve) {
    var el = document.querySelector('[role="listbox"][aria-label="Images"]')
    var out = [], direction = 1, scrolled = 0, start = 0, last = 0
    function step(t) {
      if (start === 0) { start = last = t; requestAnimationFrame(step); return }
      var dt = t - last
      out.push(dt)
      last = t
      var max = el.scrollHeight - el.clientHeight
      var next = el.scrollTop + direction * speed * (dt / 1000)
      if (next >= max) { next = max; direction = -1 } else if (next <= 0) { next = 0; direction = 1 }
      scrolled += Math.abs(next - el.scrollTop)
      el.scrollTop = next
      if (t - start < ms) requestAnimationFrame(step)
      else resolve({ deltas: out, scrolled: scrolled })
    }
    requestAnimationFrame(step)
  })
}`

/** Scrolls the grid at a steady speed, one step per animation frame, timing every frame. */
async function scrollPhase(page: Page, pxPerSecond: number, seconds: number): Promise<PhaseResult> {
  // Sent as source text: tsx would wrap named functions in a helper that does not exist in the page.
  const deltas = (await page.evaluate(`(${SCROLL_IN_PAGE})(${pxPerSecond}, ${seconds * 1000})`)) as {
    deltas: number[]
    scrolled: number
  }
  const sorted = [...deltas.deltas].sort((a, b) => a - b)
  const pct = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0
  const total = deltas.deltas.reduce((a, b) => a + b, 0)
  return {
    frames: deltas.deltas.length,
    fps: round((1000 * deltas.deltas.length) / total, 1),
    p50FrameMs: round(pct(50), 1),
    p95FrameMs: round(pct(95), 1),
    p99FrameMs: round(pct(99), 1),
    maxFrameMs: round(sorted[sorted.length - 1] ?? 0, 1),
    framesOver20ms: deltas.deltas.filter((d) => d > 20).length,
    longFramesOver50ms: deltas.deltas.filter((d) => d > 50).length,
    scrolledPx: Math.round(deltas.scrolled)
  }
}

/** Jumps to random places (like dragging the scrollbar and letting go) and waits for each to load. */
async function jumpAround(page: Page, count: number): Promise<{ count: number; msPerJump: number }> {
  const started = performance.now()
  for (let i = 0; i < count; i++) {
    const fraction = (Math.sin(i * 12.9898) * 43758.5453) % 1
    await page.evaluate(
      `(function () { var el = document.querySelector('[role="listbox"][aria-label="Images"]'); el.scrollTop = ${Math.abs(fraction)} * (el.scrollHeight - el.clientHeight) })()`
    )
    await page.waitForTimeout(250)
  }
  return { count, msPerJump: Math.round((performance.now() - started) / count) }
}

async function startTrace(cdp: CDPSession): Promise<void> {
  await cdp.send('Tracing.start', {
    categories: 'devtools.timeline,disabled-by-default-devtools.timeline,v8.execute,blink,cc,gpu,viz',
    transferMode: 'ReturnAsStream'
  })
}

async function stopTrace(cdp: CDPSession, file: string): Promise<void> {
  const done = new Promise<string>((resolve) => cdp.once('Tracing.tracingComplete', (e) => resolve(e.stream!)))
  await cdp.send('Tracing.end')
  const stream = await done
  let data = ''
  for (;;) {
    const chunk = await cdp.send('IO.read', { handle: stream })
    data += chunk.data
    if (chunk.eof) break
  }
  await cdp.send('IO.close', { handle: stream })
  fs.writeFileSync(file, data)
}

async function heapUsed(cdp: CDPSession): Promise<number> {
  await cdp.send('HeapProfiler.collectGarbage')
  const usage = await cdp.send('Runtime.getHeapUsage')
  return usage.usedSize
}

async function domNodes(cdp: CDPSession): Promise<number> {
  await cdp.send('Performance.enable')
  const { metrics } = await cdp.send('Performance.getMetrics')
  return metrics.find((m) => m.name === 'Nodes')?.value ?? -1
}

const mb = (bytes: number): number => round(bytes / 1024 / 1024, 2)

function round(x: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

if (process.argv[1]?.endsWith('grid.ts')) {
  const [nArg, secondsArg] = process.argv.slice(2)
  const opts: GridBenchOptions = {}
  if (nArg) opts.n = Number(nArg)
  if (secondsArg) opts.seconds = Number(secondsArg)
  run(opts).then(
    (result) => console.log(JSON.stringify(result, null, 2)),
    (err: unknown) => {
      console.error(err)
      process.exitCode = 1
    }
  )
}
