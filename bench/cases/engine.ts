/**
 * The frozen forward on each runtime, side by side in one run (issue #10):
 *  - forward: MobileNetV2 from its input to the pooled feature layer (what precompute runs), ms
 *    per image on ONNX Runtime (1 and 2 intra-op threads, batches 8/16/32) and on TF.js wasm
 *    (one thread, what one engine worker does), on the same random batch;
 *  - decode: sharp alone, the 398 hymenoptera images to 224x224 RGB, 16 at a time;
 *  - precompute: the studio's precompute end to end (decode included) on hymenoptera with
 *    --runtime tfjs, and with ONNX Runtime as one worker x 2 threads and two workers x 1 thread,
 *    then its defaults again (segment and check from the disk cache), one worker x 1 thread, and
 *    batches of 8 and 32; each with its CPU time per image and PrecomputeResult.stages per image
 *    (where the engine worker's thread spent it);
 *  - pytorch: ../shared/bench/torch_reference.py's frozen forward when `/usr/bin/python3 -c
 *    'import torch'` works;
 *  - byob: precompute on an imported ONNX backbone (#10 item 4): MobileNetV2 cut at its feature
 *    layer, written as an .onnx file by the studio's converter and imported like a user's file.
 *
 *   npm run bench engine
 */
import * as tf from '@tensorflow/tfjs'
import Database from 'better-sqlite3'
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { buildSegment, loadBackbone } from '../../src/main/backbones'
import { initBackend } from '../../src/main/engine/backend'
import { createOrtSession } from '../../src/main/engine/onnx/session'
import { pooled } from '../../src/main/engine/runtime'
import { tfjsToOnnx } from '../../src/main/export/onnx'
import { DB_FILE } from '../../src/main/project/project'
import { decodeView } from '../../src/main/precompute/views'
import { Studio } from '../../src/main/studio/studio'
import type { PrecomputeResult } from '../../src/shared/types'
import { mulberry32 } from '../../src/main/util/random'
import { benchProject } from './fixtures'

const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d
const load = (): number[] => os.loadavg().map((l) => round(l))

async function timed(reps: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  await fn() // warm-up: first runs allocate and plan
  const t = performance.now()
  for (let i = 0; i < reps; i++) await fn()
  return (performance.now() - t) / reps
}

async function forward(): Promise<Record<string, unknown>> {
  await initBackend('wasm')
  const bb = await loadBackbone('mobilenet_v2_1.0_224')
  const model = pooled(buildSegment(bb.model, null, bb.spec.featureLayer))
  const bytes = await tfjsToOnnx(model, { opset: 13 })
  const rand = mulberry32(1)
  const input = (n: number) => new Float32Array(n * 224 * 224 * 3).map(() => rand() * 2 - 1)
  const out: Record<string, unknown> = { segment: `input -> ${bb.spec.featureLayer} + concat pool`, onnxBytes: bytes.length, loadAverageBefore: load() }
  const x16 = input(16)
  out.tfjsWasmMsPerImage = round(
    (await timed(2, () => tf.tidy(() => (model.predict(tf.tensor4d(x16, [16, 224, 224, 3])) as tf.Tensor).dataSync()))) / 16
  )
  for (const threads of [1, 2]) {
    const session = await createOrtSession(bytes, { provider: 'cpu', threads })
    const byBatch: Record<string, number> = {}
    for (const n of [8, 16, 32]) {
      const x = n === 16 ? x16 : input(n)
      byBatch[`batch${n}`] = round((await timed(4, () => session.run(x, [n, 224, 224, 3]))) / n, 2)
    }
    out[`onnx${threads}ThreadMsPerImage`] = byBatch
    await session.release()
  }
  out.loadAverageAfter = load()
  model.dispose()
  bb.model.dispose()
  return out
}

async function decode(files: string[]): Promise<Record<string, unknown>> {
  const spec = { inputSize: [224, 224] as const, preprocessing: { resize: 'squash' as const, scale: 1 / 127.5, offset: -1, channels: 'RGB' as const } }
  const t = performance.now()
  for (let i = 0; i < files.length; i += 16) await Promise.all(files.slice(i, i + 16).map((f) => decodeView(f, spec, '', 0)))
  return { images: files.length, msPerImage: round((performance.now() - t) / files.length, 2), uvThreadpool: process.env.UV_THREADPOOL_SIZE ?? '4 (default)' }
}

/** One precompute from an empty cache, by a studio with these settings. */
export async function precomputeWith(dir: string, opts: { runtime: 'tfjs' | 'onnx'; workers?: string; threads?: string; batch?: string; onnxBackbone?: string; again?: boolean }): Promise<Record<string, unknown>> {
  const db = new Database(path.join(dir, DB_FILE))
  db.exec('DELETE FROM activations; DELETE FROM activation_sets;')
  db.close()
  const env = { THAW_ONNX_WORKERS: process.env.THAW_ONNX_WORKERS, THAW_ONNX_THREADS: process.env.THAW_ONNX_THREADS, THAW_PRECOMPUTE_BATCH: process.env.THAW_PRECOMPUTE_BATCH }
  if (opts.workers) process.env.THAW_ONNX_WORKERS = opts.workers
  if (opts.threads) process.env.THAW_ONNX_THREADS = opts.threads
  if (opts.batch) process.env.THAW_PRECOMPUTE_BATCH = opts.batch
  const studio = new Studio({ runtime: opts.runtime })
  try {
    await studio.api().openProject({ path: dir })
    const backbone = opts.onnxBackbone ? (await studio.api().importBackbone({ folder: opts.onnxBackbone, scale: 1 / 127.5, offset: -1 })).id : undefined
    const measured = await measurePrecompute(studio, backbone)
    if (!opts.again) return measured
    // the same studio again from an empty cache: its engine worker has the backbone, the ONNX
    // Runtime session and sharp loaded (a second precompute in the app), so this is the steady
    // pipeline: CPU time per image / cores is what the wall time comes to when nothing idles
    const db = new Database(path.join(dir, DB_FILE))
    db.exec('DELETE FROM activations')
    db.close()
    return { ...measured, warmWorker: await measurePrecompute(studio, backbone) }
  } finally {
    await studio.close()
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}

async function measurePrecompute(studio: Studio, backbone: string | undefined): Promise<Record<string, unknown>> {
  const loadBefore = load()
  const started = performance.now()
  const cpu = process.cpuUsage()
  const r: PrecomputeResult = await studio.api().precompute({ views: 0, ...(backbone ? { backbone } : {}) })
  const used = process.cpuUsage(cpu)
  return {
    computed: r.computed,
    msPerImage: round(r.msPerImage),
    wallMsPerImage: round((performance.now() - started) / r.computed),
    // CPU time of the whole process (every thread) per image: what the cores had to do, which
    // a loaded machine inflates less than the wall time
    cpuMsPerImage: round((used.user + used.system) / 1000 / r.computed),
    // where the engine workers' threads spent it, per image (PrecomputeStages)
    stagesMsPerImage: Object.fromEntries(Object.entries(r.stages).filter(([k]) => k !== 'batches' && k !== 'shards').map(([k, v]) => [k, round(v / r.computed, 2)])),
    batches: r.stages.batches,
    shards: r.stages.shards,
    ran: r.frozen.detail,
    workers: r.frozen.workers,
    check: r.frozen.check,
    reason: r.frozen.reason,
    loadAverage: [loadBefore, load()]
  }
}

/** MobileNetV2 to its feature map (no pooling: the studio pools an imported backbone's output
 * itself) as an .onnx file, what a user would bring. */
async function mobileNetV2File(): Promise<string> {
  await initBackend('wasm')
  const bb = await loadBackbone('mobilenet_v2_1.0_224')
  const seg = buildSegment(bb.model, null, bb.spec.featureLayer)
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'thaw-bench-byob-')), 'mobilenet_v2_features.onnx')
  writeFileSync(file, await tfjsToOnnx(seg, { opset: 13 }))
  seg.dispose()
  bb.model.dispose()
  return file
}

function pytorch(): Record<string, unknown> {
  const python = '/usr/bin/python3'
  if (spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) return { status: 'not installed (apt-get install python3-torch python3-torchvision)' }
  const script = path.resolve(__dirname, '../../../shared/bench/torch_reference.py')
  try {
    const text = execFileSync(python, [script], { encoding: 'utf8', timeout: 15 * 60_000, env: { ...process.env, THREADS: '2' } })
    const r = JSON.parse(text.trim().split('\n').pop()!) as Record<string, unknown>
    return { torch: r.torch, threads: r.threads, forwardFeaturesMsPerImage: r.forward_features_ms_per_img, loadAverage: load() }
  } catch (err) {
    return { status: `failed: ${(err as Error).message.split('\n')[0]}` }
  }
}

/** THAW_BENCH_ENGINE=forward,decode,precompute,pytorch,byob runs only those parts (the first four by default). */
export async function run(): Promise<Record<string, unknown>> {
  const parts = new Set((process.env.THAW_BENCH_ENGINE ?? 'forward,decode,precompute,pytorch').split(','))
  const { studio, files, dir } = await benchProject('engine')
  await studio.close()
  const cores = os.availableParallelism()
  const result: Record<string, unknown> = { machineCores: cores }
  if (parts.has('forward')) result.forward = await forward()
  if (parts.has('decode')) result.decode = await decode(files)
  if (parts.has('precompute')) {
    result.precompute = {
      tfjs: await precomputeWith(dir, { runtime: 'tfjs' }),
      [`onnx1Worker${cores}Threads`]: await precomputeWith(dir, { runtime: 'onnx', workers: '1', threads: String(cores) }),
      [`onnx${cores}Workers1Thread`]: await precomputeWith(dir, { runtime: 'onnx', workers: String(cores), threads: '1' }),
      // the same again: the converted segment and its check now come from the disk cache
      onnxDefault: await precomputeWith(dir, { runtime: 'onnx', again: true }),
      // the thread and batch counts precompute could use instead of its defaults, measured
      onnx1Worker1Thread: await precomputeWith(dir, { runtime: 'onnx', workers: '1', threads: '1' }),
      onnxBatch8: await precomputeWith(dir, { runtime: 'onnx', batch: '8' }),
      onnxBatch32: await precomputeWith(dir, { runtime: 'onnx', batch: '32' })
    }
  }
  if (parts.has('pytorch')) result.pytorch = pytorch()
  if (parts.has('byob')) result.byob = { importedOnnxMobileNetV2: await precomputeWith(dir, { runtime: 'onnx', onnxBackbone: await mobileNetV2File() }) }
  return result
}

if (process.argv[1]?.endsWith('engine.ts')) {
  void run().then((r) => {
    console.log(JSON.stringify(r, null, 2))
    process.exit(0)
  })
}
