// `npm run bench quality`: label suspects and near-duplicates on hymenoptera (planted flips and
// planted altered copies), and the time of suspects, duplicates and the map on synthetic cached
// rows (2,000 and 20,000 images), with the duplicate search's peak memory.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Studio } from '../../src/main/studio/studio'
import { mulberry32, shuffled } from '../../src/main/util/random'
import { hymenopteraWithNearDuplicates } from '../../test/helpers/nearDuplicates'
import { benchProject, syntheticProject } from './fixtures'

async function flips(): Promise<Record<string, unknown>> {
  const { studio, api } = await benchProject('suspects', { engineWorkers: 2 })
  try {
    await api.precompute({})
    const classes = await api.listClasses({})
    const train = (await api.queryImages({ filter: { split: 'train', status: 'ok' }, limit: 5000 })).items
    const flipped = shuffled(train, mulberry32(5)).slice(0, Math.round(train.length / 10))
    for (const img of flipped) await api.setLabel({ ids: [img.id], classId: classes.find((c) => c.id !== img.classId)!.id })
    const t0 = performance.now()
    const r = await api.findSuspects({ folds: 5, seed: 42 })
    const top = new Set(r.suspects.slice(0, 2 * flipped.length).map((s) => s.imageId))
    const caught = flipped.filter((f) => top.has(f.id)).length
    return { images: r.images, flipped: flipped.length, caughtInTop2x: caught, share: caught / flipped.length, suspects: r.suspects.length, ms: Math.round(performance.now() - t0) }
  } finally {
    await studio.close()
  }
}

async function nearDuplicates(): Promise<Record<string, unknown>> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'thaw-bench-neardup-'))
  const { planted } = await hymenopteraWithNearDuplicates(root, 60, 7)
  const studio = new Studio({ engineWorkers: 2 })
  const api = studio.api()
  try {
    await api.createProject({ path: path.join(root, 'project') })
    await api.importFolder({ root })
    await api.precompute({})
    const ids = new Map((await api.queryImages({ limit: 5000 })).items.map((i) => [path.join(root, i.name), i.id]))
    const r = await api.findDuplicates({})
    const groupOf = new Map<number, number>()
    r.groups.forEach((g, i) => g.images.forEach((img) => groupOf.set(img.id, i)))
    const found = planted.filter((p) => groupOf.get(ids.get(p.original)!) !== undefined && groupOf.get(ids.get(p.original)!) === groupOf.get(ids.get(p.copy)!)).length
    const plantedIds = new Set(planted.flatMap((p) => [ids.get(p.original)!, ids.get(p.copy)!]))
    const falseGroups = r.groups.filter((g) => !g.images.some((i) => plantedIds.has(i.id))).length
    return { planted: planted.length, found, share: found / planted.length, groups: r.groups.length, falseGroups, threshold: r.threshold, ms: r.ms }
  } finally {
    await studio.close()
  }
}

/** Suspects, duplicates and the map on a project of n synthetic cached images (fixtures.ts). */
export async function synthetic(n: number): Promise<Record<string, unknown>> {
  const { studio, api, dir } = await syntheticProject(n)
  try {
    let t = performance.now()
    const suspects = await api.findSuspects({ folds: 5, seed: 42 })
    const suspectsMs = Math.round(performance.now() - t)
    t = performance.now()
    const dups = await api.findDuplicates({})
    const duplicatesMs = Math.round(performance.now() - t)
    t = performance.now()
    const map = await api.embeddingMap({})
    const mapMs = Math.round(performance.now() - t)
    return {
      images: n,
      suspectsMs,
      suspects: suspects.suspects.length,
      duplicatesMs,
      duplicateGroups: dups.groups.length,
      duplicatesWorkerRssPeakMB: Math.round(dups.rssPeakBytes / 1e6),
      mapMs,
      mapMethod: map.method
    }
  } finally {
    await studio.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** The duplicate search alone on n synthetic cached images: its time and the engine worker's
 * peak memory (issue 8: stated and bounded at 100,000), against the worker's memory before. */
export async function duplicatesOnly(n: number): Promise<Record<string, unknown>> {
  const { studio, api, dir } = await syntheticProject(n)
  try {
    const idle = Math.max(...(await studio.engine().stats()).map((s) => s.rssBytes))
    const t = performance.now()
    const dups = await api.findDuplicates({})
    return {
      images: n,
      duplicatesMs: Math.round(performance.now() - t),
      duplicateGroups: dups.groups.length,
      workerRssBeforeMB: Math.round(idle / 1e6),
      workerRssPeakMB: Math.round(dups.rssPeakBytes / 1e6),
      peakOverBeforeBytesPerImage: Math.round((dups.rssPeakBytes - idle) / n)
    }
  } finally {
    await studio.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

const sizesOf = (value: string | undefined, fallback: string): number[] =>
  (value ?? fallback)
    .split(',')
    .filter((s) => s.trim() !== '')
    .map(Number)

/** THAW_BENCH_QUALITY_PARTS picks parts (flips, nearDuplicates, synthetic, duplicates; all by
 * default); THAW_BENCH_QUALITY_SIZES the synthetic sizes, THAW_BENCH_DUPLICATES_SIZES the sizes
 * of the duplicate search alone. */
export async function run(): Promise<Record<string, unknown>> {
  const parts = new Set((process.env.THAW_BENCH_QUALITY_PARTS ?? 'flips,nearDuplicates,synthetic,duplicates').split(','))
  const out: Record<string, unknown> = { loadAverageBefore: os.loadavg().map((l) => Math.round(l * 10) / 10) }
  if (parts.has('flips')) out.flips = await flips()
  if (parts.has('nearDuplicates')) out.nearDuplicates = await nearDuplicates()
  if (parts.has('synthetic')) for (const n of sizesOf(process.env.THAW_BENCH_QUALITY_SIZES, '2000,20000')) out[`synthetic${n}`] = await synthetic(n)
  if (parts.has('duplicates')) for (const n of sizesOf(process.env.THAW_BENCH_DUPLICATES_SIZES, '100000')) out[`duplicates${n}`] = await duplicatesOnly(n)
  out.loadAverageAfter = os.loadavg().map((l) => Math.round(l * 10) / 10)
  return out
}
