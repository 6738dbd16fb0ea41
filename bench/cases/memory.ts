/**
 * Memory while precomputing a large library: N generated images (default 5,000, the import
 * bench's library), sampling the engine workers' RSS and tensor counts as the job runs. Flat
 * figures after the first batches mean nothing leaks per image.
 *
 *   node --import tsx bench/cases/memory.ts [n]
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Studio } from '../../src/main/studio/studio'
import { BACKBONES } from './fixtures'
import { ensureLibrary } from './import'

export async function run(opts: { n?: number } = {}): Promise<Record<string, unknown>> {
  const n = opts.n ?? 5000
  const library = await ensureLibrary(n)
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'thaw-bench-memory-'))
  process.env.THAW_MODEL_MIRROR ??= BACKBONES
  process.env.THAW_CACHE_DIR ??= path.join(tmp, 'cache')
  process.env.THAW_CONFIG_DIR ??= path.join(tmp, 'config')
  const studio = new Studio()
  const api = studio.api()
  try {
    await api.createProject({ path: path.join(tmp, 'project') })
    await api.importFolder({ root: library })
    const samples: { done: number; rssMB: number[]; tensors: number[] }[] = []
    let done = 0
    const off = studio.subscribe((e) => {
      if (e.event === 'jobProgress' && e.payload.kind === 'precompute') done = e.payload.done
    })
    const timer = setInterval(() => {
      void studio
        .engine()
        .stats()
        .then((s) => samples.push({ done, rssMB: s.map((x) => Math.round(x.rssBytes / 1e6)), tensors: s.map((x) => x.numTensors) }))
    }, 3000)
    const r = await api.precompute({ views: 0 })
    clearInterval(timer)
    off()
    const after = await studio.engine().stats()
    const steady = samples.filter((s) => s.done > n * 0.1)
    const rss = steady.map((s) => Math.max(...s.rssMB))
    return {
      images: n,
      computed: r.computed,
      msPerImage: Math.round(r.msPerImage * 10) / 10,
      rssMB: { first: rss[0], last: rss[rss.length - 1], min: Math.min(...rss), max: Math.max(...rss) },
      tensors: { during: [...new Set(steady.flatMap((s) => s.tensors))], after: after.map((s) => s.numTensors) },
      samples: samples.length
    }
  } finally {
    await studio.close()
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}

if (process.argv[1]?.endsWith('memory.ts')) {
  void run({ n: Number(process.argv[2] ?? 5000) }).then((r) => {
    console.log(JSON.stringify(r, null, 2))
    process.exit(0)
  })
}
