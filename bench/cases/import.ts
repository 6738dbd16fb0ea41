/**
 * Import throughput: scan + processFiles (read, sha256, header, decode, 256 px WebP thumbnail)
 * over a generated library of N distinct JPEGs made from the hymenoptera set.
 *
 *   node --import tsx bench/cases/import.ts [n] [concurrency|sweep]
 *
 * The library is built once and cached in os.tmpdir()/thaw-bench-library/ (outside the repo).
 * Thumbnails go to a fresh temporary folder each run, so every run is a cold import; a second
 * pass over the same files then measures a re-import (thumbnails present, no decode).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { defaultConcurrency, processFiles } from '../../src/main/dataset/pipeline'
import { probeImage } from '../../src/main/dataset/probe'
import { scanFolder, type ScannedFile } from '../../src/main/dataset/scan'
import { probeAndThumbnail } from '../../src/main/dataset/thumbnails'
import { mulberry32 } from '../../src/main/util/random'

const HYMENOPTERA = path.resolve(__dirname, '../../../shared/datasets/hymenoptera')
const LIBRARY_VERSION = 1

export interface ImportBenchOptions {
  /** images in the generated library (default 10,000) */
  n?: number
  /** files in flight; default: the pipeline's own default */
  concurrency?: number
  /** also time these concurrencies on the first `sweepN` images */
  sweep?: number[]
  sweepN?: number
  /** images on which to compare one decode (probeAndThumbnail) with probe-then-thumbnail; 0 to skip */
  compareN?: number
}

export async function run(opts: ImportBenchOptions = {}): Promise<Record<string, unknown>> {
  const n = opts.n ?? 10_000
  const concurrency = opts.concurrency ?? defaultConcurrency()
  const made = performance.now()
  const root = await ensureLibrary(n)
  const libraryMs = performance.now() - made

  const sweep: Record<string, unknown>[] = []
  for (const c of opts.sweep ?? []) sweep.push(await timeImport(root, c, opts.sweepN ?? Math.min(n, 2000)))

  const main = await timeImport(root, concurrency, n)
  const compareN = Math.min(n, opts.compareN ?? 500)
  const compare = compareN > 0 ? await compareDesigns(root, concurrency, compareN) : undefined
  return {
    case: 'import',
    n,
    concurrency,
    cpus: os.availableParallelism(),
    uvThreadpool: Number(process.env.UV_THREADPOOL_SIZE) || 4,
    sharpThreadsPerImage: sharp.concurrency(),
    libraryReadyMs: Math.round(libraryMs),
    libraryRoot: root,
    ...main,
    ...(compare ? { oneDecodeVsTwo: compare } : {}),
    ...(sweep.length ? { sweep } : {})
  }
}

async function timeImport(root: string, concurrency: number, limit: number): Promise<Record<string, unknown>> {
  const thumbDir = fs.mkdtempSync(path.join(os.tmpdir(), 'thaw-bench-thumbs-'))
  try {
    const loadBefore = os.loadavg()[0]!
    const t0 = performance.now()
    const scan = await scanFolder(root)
    const files = scan.files.slice(0, limit)
    const t1 = performance.now()
    const cpu0 = process.cpuUsage()
    let ok = 0
    let failed = 0
    for await (const { result } of processFiles(files, { thumbDir, concurrency })) {
      if (result.ok) ok++
      else failed++
    }
    const cpu = process.cpuUsage(cpu0)
    const t2 = performance.now()
    for await (const _ of processFiles(files, { thumbDir, concurrency })) void _
    const t3 = performance.now()
    const loadAfter = os.loadavg()[0]!
    const processMs = t2 - t1
    return {
      images: files.length,
      concurrency,
      ok,
      failed,
      scanMs: Math.round(t1 - t0),
      processMs: Math.round(processMs),
      totalS: round((t2 - t0) / 1000, 2),
      msPerImage: round(processMs / files.length, 2),
      imagesPerS: round(files.length / (processMs / 1000), 1),
      // CPU time of this process (main thread + sharp's threadpool) per image: less sensitive
      // to what else runs on the machine than wall time
      cpuMsPerImage: round((cpu.user + cpu.system) / 1000 / files.length, 2),
      reimportMsPerImage: round((t3 - t2) / files.length, 2),
      load1Before: round(loadBefore, 2),
      load1After: round(loadAfter, 2)
    }
  } finally {
    fs.rmSync(thumbDir, { recursive: true, force: true })
  }
}

/** What sharing one read and one decode between the probe and the thumbnail saves: the same
 * files (interleaved halves, so machine load hits both alike) through probeAndThumbnail, and
 * through probeImage followed by a separate thumbnail pass that reads and decodes again. */
async function compareDesigns(root: string, concurrency: number, count: number): Promise<Record<string, unknown>> {
  const files = (await scanFolder(root)).files.slice(-count) // files the main run did not warm last
  const halves = [files.filter((_, i) => i % 2 === 0), files.filter((_, i) => i % 2 === 1)]
  const timeOne = async (list: ScannedFile[], separate: boolean): Promise<number> => {
    const thumbDir = fs.mkdtempSync(path.join(os.tmpdir(), 'thaw-bench-cmp-'))
    try {
      const t = performance.now()
      await pool(list, concurrency, async (f) => {
        if (separate) await probeImage(f.path)
        await probeAndThumbnail(f.path, thumbDir)
      })
      return (performance.now() - t) / list.length
    } finally {
      fs.rmSync(thumbDir, { recursive: true, force: true })
    }
  }
  const shared = await timeOne(halves[0]!, false)
  const separate = await timeOne(halves[1]!, true)
  return { images: count, sharedMsPerImage: round(shared, 2), separateMsPerImage: round(separate, 2) }
}

async function pool<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!)
    })
  )
}

/** N distinct JPEGs (random crops of 60-100% per side, long side 320-640 px like the source
 * photos, quality 75-92), half ants, half bees, built once and reused across runs. */
export async function ensureLibrary(n: number): Promise<string> {
  const root = path.join(os.tmpdir(), 'thaw-bench-library', `v${LIBRARY_VERSION}-n${n}`)
  if (fs.existsSync(path.join(root, '.complete'))) return root
  const sources = ['ants', 'bees'].map((cls) =>
    ['train', 'val'].flatMap((split) => {
      const dir = path.join(HYMENOPTERA, split, cls)
      return fs.readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort().map((f) => path.join(dir, f))
    })
  )
  const building = `${root}.building-${process.pid}`
  fs.rmSync(building, { recursive: true, force: true })
  for (const cls of ['ants', 'bees']) fs.mkdirSync(path.join(building, cls), { recursive: true })
  const metaCache = new Map<string, { width: number; height: number }>()
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++
      const clsIndex = i % 2
      const list = sources[clsIndex]!
      const src = list[Math.floor(i / 2) % list.length]!
      const rand = mulberry32(i * 2654435761)
      let meta = metaCache.get(src)
      if (!meta) {
        const m = await sharp(src, { autoOrient: true }).metadata()
        meta = { width: m.autoOrient.width, height: m.autoOrient.height }
        metaCache.set(src, meta)
      }
      const w = Math.max(32, Math.floor(meta.width * (0.6 + 0.4 * rand())))
      const h = Math.max(32, Math.floor(meta.height * (0.6 + 0.4 * rand())))
      const left = Math.floor((meta.width - w) * rand())
      const top = Math.floor((meta.height - h) * rand())
      const side = 320 + Math.floor(320 * rand())
      const out = path.join(building, clsIndex ? 'bees' : 'ants', `${String(i).padStart(6, '0')}.jpg`)
      await sharp(src, { autoOrient: true })
        .extract({ left, top, width: Math.min(w, meta.width - left), height: Math.min(h, meta.height - top) })
        .resize(side, side, { fit: 'inside' })
        .jpeg({ quality: 75 + Math.floor(18 * rand()) })
        .toFile(out)
    }
  }
  await Promise.all(Array.from({ length: 4 }, worker))
  fs.writeFileSync(path.join(building, '.complete'), new Date().toISOString())
  fs.rmSync(root, { recursive: true, force: true })
  fs.mkdirSync(path.dirname(root), { recursive: true })
  fs.renameSync(building, root)
  return root
}

function round(x: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

if (process.argv[1]?.endsWith('import.ts')) {
  const [nArg, cArg] = process.argv.slice(2)
  const opts: ImportBenchOptions = {}
  if (nArg) opts.n = Number(nArg)
  if (cArg === 'sweep') opts.sweep = [1, 2, 3, 4, 6, 8]
  else if (cArg) opts.concurrency = Number(cArg)
  run(opts).then(
    (result) => console.log(JSON.stringify(result, null, 2)),
    (err: unknown) => {
      console.error(err)
      process.exitCode = 1
    }
  )
}
