// `thaw predict <bundle>`: an exported bundle run from its files, with the studio's decode and
// the same output as the project's predict.
import fs from 'node:fs'
import path from 'node:path'
import type { BundleSummary } from '../../shared/export'
import type { PredictResult } from '../../shared/types'
import { decodeForModel } from '../dataset/decode'
import { engine } from '../engine/runtime'
import { checkProbabilities } from '../training/finite'
import { argmax } from '../training/metrics'
import { IMAGE_MAX_BYTES, readRegularFile } from '../util/safeRead'
import { FILES } from './bundleFiles'
import { openBundle, type BundleRunner } from './runner'

export interface PredictBundleArgs {
  dir: string
  paths: string[]
}

// one bundle stays loaded, keyed by its folder and the size and mtime of every file its manifest
// lists: any edit (a shard, labels.json) opens it again, through the manifest check
let cached: { key: string; runner: Promise<BundleRunner> } | null = null

function keyOf(dir: string): string {
  try {
    const listed = Object.keys((JSON.parse(fs.readFileSync(path.join(dir, FILES.manifest), 'utf8')) as { files: Record<string, string> }).files)
    const stamps = [FILES.manifest, ...listed].map((f) => {
      const st = fs.statSync(path.join(dir, f), { throwIfNoEntry: false })
      return st ? `${f}:${st.size}:${st.mtimeMs}` : `${f}:-`
    })
    return `${dir}#${stamps.join('|')}`
  } catch {
    return `${dir}#${Math.random()}` // no readable manifest: never reuse; openBundle says what is wrong
  }
}

async function runnerFor(dir: string): Promise<BundleRunner> {
  const key = keyOf(dir)
  if (cached?.key !== key) {
    const old = cached
    cached = { key, runner: openBundle(dir) }
    cached.runner.catch(() => (cached = null))
    void old?.runner.then((r) => r.close()).catch(() => undefined)
  }
  return cached.runner
}

export async function predictBundleTask(args: PredictBundleArgs): Promise<{ bundle: BundleSummary; results: PredictResult[] }> {
  await engine()
  const runner = await runnerFor(args.dir)
  const { labels, preprocessing: pre } = runner.meta
  const results: PredictResult[] = []
  for (const file of args.paths) {
    let pixels: Uint8Array
    try {
      // only a regular file, read once: sharp given a FIFO's name would wait for a writer forever
      pixels = await decodeForModel(await readRegularFile(file, { maxBytes: IMAGE_MAX_BYTES, what: 'the image' }), pre.size.width, pre.resize)
    } catch (err) {
      results.push({ path: file, error: (err as Error).message })
      continue
    }
    const probs = await runner.run(Float32Array.from(pixels), 1)
    const broken = checkProbabilities(probs)
    if (broken) {
      results.push({ path: file, error: broken })
      continue
    }
    results.push({ path: file, label: labels[argmax(probs)]!, probs: Object.fromEntries(labels.map((l, i) => [l, probs[i]!])) })
  }
  return { bundle: { dir: args.dir, format: runner.meta.format, classes: labels }, results }
}
