// Export round trips on a small trained project: each bundle is loaded by its own runtime,
// outside the studio (tf.loadLayersModel over HTTP, onnxruntime-node, the bundle's predict.mjs),
// and compared with the studio's predictions; then the model card, and failures that must leave
// nothing behind.
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import * as ort from 'onnxruntime-node'
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeForModel } from '../../../src/main/dataset/decode'
import { exportModel, type ExportOptions } from '../../../src/main/export/exportModel'
import { decodeModel } from '../../../src/main/export/onnx'
import { ORT_VENDOR } from '../../../src/main/export/samples/page'
import { Project } from '../../../src/main/project/project'
import type { BundlePreprocessing, ExportResult, ModelCard } from '../../../src/shared/export'
import type { PredictResult } from '../../../src/shared/types'
import { tempDir } from '../../helpers/tmp'
import { serveFolder } from './staticServer'
import { trainedProject, type TrainedProject } from './trainedProject'

const run = promisify(execFile)
const repoRoot = path.resolve(__dirname, '../../..')
const TOLERANCE = 1e-4

let p: TrainedProject
/** the studio's own predictions for the validation images, by path */
let studio: Map<string, PredictResult>

beforeAll(async () => {
  p = await trainedProject()
  const { results } = await p.api.predict({ paths: p.valid.map((v) => v.path) })
  studio = new Map(results.map((r) => [r.path, r]))
  await tf.setBackend('wasm')
  await tf.ready()
}, 300_000)

afterAll(async () => {
  await p?.studio.close()
})

function readJson<T>(dir: string, name: string): T {
  return JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as T
}

/** The validation images as the bundle's preprocessing.json says to feed them, with sharp. */
async function inputs(dir: string): Promise<{ data: Float32Array; n: number; pre: BundlePreprocessing }> {
  const pre = readJson<BundlePreprocessing>(dir, 'preprocessing.json')
  const per = pre.size.width * pre.size.height * 3
  const data = new Float32Array(p.valid.length * per)
  for (const [i, v] of p.valid.entries()) data.set(await decodeForModel(v.path, pre.size.width, pre.resize), i * per)
  return { data, n: p.valid.length, pre }
}

/** Largest difference to the studio's probabilities, and whether every top-1 label agrees. */
function compare(probs: ArrayLike<number>, labels: string[]): { maxAbsDiff: number; agree: number } {
  let maxAbsDiff = 0
  let agree = 0
  p.valid.forEach((v, i) => {
    const expected = studio.get(v.path)!
    const row = labels.map((_, j) => probs[i * labels.length + j]!)
    labels.forEach((l, j) => (maxAbsDiff = Math.max(maxAbsDiff, Math.abs(row[j]! - expected.probs![l]!))))
    if (labels[row.indexOf(Math.max(...row))] === expected.label) agree++
  })
  return { maxAbsDiff, agree }
}

function expectSameAsStudio(results: PredictResult[]): void {
  expect(results).toHaveLength(p.valid.length)
  for (const r of results) {
    const s = studio.get(r.path)!
    expect(Object.keys(r).sort()).toEqual(['label', 'path', 'probs'])
    expect(r.label).toBe(s.label)
    for (const [cls, prob] of Object.entries(s.probs!)) expect(Math.abs(r.probs![cls]! - prob)).toBeLessThanOrEqual(TOLERANCE)
  }
}

/** Runs the bundle's own predict.mjs with this repo's packages standing in for `npm install`. */
async function predictMjs(dir: string): Promise<PredictResult[]> {
  fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'))
  try {
    const { stdout } = await run(process.execPath, [path.join(dir, 'predict.mjs'), ...p.valid.map((v) => v.path), '--json'], { cwd: tempDir() })
    return JSON.parse(stdout) as PredictResult[]
  } finally {
    fs.unlinkSync(path.join(dir, 'node_modules'))
  }
}

function expectProof(r: ExportResult): void {
  expect(r.check).toMatchObject({ images: p.valid.length, top1Agree: p.valid.length, tolerance: TOLERANCE, passed: true, skipped: [] })
  expect(r.check.maxAbsDiff).toBeLessThanOrEqual(TOLERANCE)
  expect(r.card.check).toEqual(r.check)
  expect(readJson<ModelCard>(r.dir, 'model-card.json').check).toEqual(r.check)
}

/** the tfjs export, kept for the model card's tests */
let tfjsExport: ExportResult

describe('tfjs bundle', () => {
  let r: ExportResult
  beforeAll(async () => {
    r = tfjsExport = await p.api.exportModel({ format: 'tfjs', out: path.join(tempDir(), 'tfjs') })
  }, 180_000)

  it('is written whole, with its proof in the result and the card', () => {
    expectProof(r)
    const names = r.files.map((f) => f.name)
    for (const name of ['model.json', 'labels.json', 'preprocessing.json', 'MODEL_CARD.md', 'model-card.json', 'predict.mjs', 'index.html', 'classify.js', 'package.json', 'vendor/tf.es2017.min.js']) {
      expect(names).toContain(name)
    }
    expect(names.some((n) => /^group1-shard1of\d+\.bin$/.test(n))).toBe(true)
    expect(r.bytes).toBe(r.files.reduce((s, f) => s + f.bytes, 0))
    expect(fs.readdirSync(path.dirname(r.dir)).filter((n) => n.includes('.partial-'))).toEqual([])
    expect(readJson<string[]>(r.dir, 'labels.json')).toEqual(['ants', 'bees'])
  })

  it('loads with tf.loadLayersModel over HTTP, as in a browser, and matches the studio', async () => {
    const server = await serveFolder(r.dir)
    try {
      const model = await tf.loadLayersModel(`${server.url}model.json`)
      const { data, n, pre } = await inputs(r.dir)
      const out = model.predict(tf.tensor4d(data, [n, pre.size.height, pre.size.width, 3])) as tf.Tensor
      const { maxAbsDiff, agree } = compare(await out.data(), ['ants', 'bees'])
      expect(maxAbsDiff).toBeLessThanOrEqual(TOLERANCE)
      expect(agree).toBe(n)
      out.dispose()
      model.dispose()
    } finally {
      await server.close()
    }
  })

  it("runs with its own predict.mjs, with the project's predict output", async () => {
    expectSameAsStudio(await predictMjs(r.dir))
  }, 60_000)

  it('runs with thaw predict <bundle>, with the same output', async () => {
    const { bundle, results } = await p.api.predictBundle({ bundle: r.dir, paths: p.valid.map((v) => v.path) })
    expect(bundle).toEqual({ dir: r.dir, format: 'tfjs', classes: ['ants', 'bees'] })
    expectSameAsStudio(results)
  })
})

describe('onnx bundle', () => {
  let r: ExportResult
  beforeAll(async () => {
    r = await p.api.exportModel({ format: 'onnx', out: path.join(tempDir(), 'onnx') })
  }, 180_000)

  it('is an ONNX model of opset 13 with the studio interface', () => {
    expectProof(r)
    expect(r.files.map((f) => f.name)).toContain('model.onnx')
    expect(r.files.map((f) => f.name)).not.toContain('model.json')
    // the page's runtime is vendored (it came from a CDN before): nothing to fetch from elsewhere
    expect(r.files.map((f) => f.name)).toEqual(expect.arrayContaining(['index.html', 'classify.js', ...ORT_VENDOR.map((v) => `vendor/${path.basename(v.file)}`)]))
    const page = fs.readFileSync(path.join(r.dir, 'index.html'), 'utf8') + fs.readFileSync(path.join(r.dir, 'classify.js'), 'utf8')
    expect(page).not.toMatch(/https?:\/\//)
    const proto = decodeModel(fs.readFileSync(path.join(r.dir, 'model.onnx')))
    expect(proto.opsetImport.find((o) => !o.domain)?.version).toBe(13)
  })

  it('runs in onnxruntime-node on a whole batch and matches the studio', async () => {
    const session = await ort.InferenceSession.create(path.join(r.dir, 'model.onnx'))
    try {
      expect(session.inputNames).toEqual(['image'])
      expect(session.outputNames).toEqual(['probabilities'])
      const { data, n, pre } = await inputs(r.dir)
      const out = await session.run({ image: new ort.Tensor('float32', data, [n, pre.size.height, pre.size.width, 3]) })
      expect(out['probabilities']!.dims).toEqual([n, 2])
      const { maxAbsDiff, agree } = compare(out['probabilities']!.data as Float32Array, ['ants', 'bees'])
      expect(maxAbsDiff).toBeLessThanOrEqual(TOLERANCE)
      expect(agree).toBe(n)
    } finally {
      await session.release()
    }
  })

  it("runs with its own predict.mjs and with thaw predict <bundle>, with the project's output", async () => {
    expectSameAsStudio(await predictMjs(r.dir))
    const { bundle, results } = await p.api.predictBundle({ bundle: r.dir, paths: p.valid.map((v) => v.path) })
    expect(bundle.format).toBe('onnx')
    expectSameAsStudio(results)
  }, 60_000)

  it('says which formats and opsets it takes', async () => {
    await expect(p.api.exportModel({ format: 'onnx', out: path.join(tempDir(), 'x'), opset: 12 })).rejects.toMatchObject({
      code: 'BAD_ARGS',
      message: expect.stringMatching(/opset: ONNX opset 13 or later/)
    })
    await expect(p.studio.invoke('exportModel', { format: 'keras', out: path.join(tempDir(), 'x') })).rejects.toMatchObject({ code: 'BAD_ARGS' })
  })
})

describe('model card', () => {
  /** The rule the card states, recomputed from the image files themselves. */
  function datasetHash(): string {
    const lines: string[] = []
    for (const split of ['train', 'val']) {
      for (const cls of fs.readdirSync(path.join(p.data, split))) {
        for (const name of fs.readdirSync(path.join(p.data, split, cls))) {
          const hash = createHash('sha256').update(fs.readFileSync(path.join(p.data, split, cls, name))).digest('hex')
          lines.push(`${hash} ${cls} ${split === 'val' ? 'valid' : 'train'}`)
        }
      }
    }
    return createHash('sha256').update(lines.sort().join('\n')).digest('hex')
  }

  it('has classes and counts per split, metrics, backbone, plan, data hash, date and version', async () => {
    const card = readJson<ModelCard>(tfjsExport.dir, 'model-card.json')
    const model = (await p.api.currentModel({}))!
    const version = (readJson<{ version: string }>(repoRoot, 'package.json')).version
    expect(card).toMatchObject({
      schema: 'thaw-model-card/1',
      name: 'Ants & bees',
      format: 'tfjs',
      studio: { name: 'Thaw Studio', version },
      trainedAt: model.createdAt,
      model: { id: model.modelId, file: 'model.json', opset: null, input: { name: 'image', shape: [null, 224, 224, 3] }, output: { name: 'probabilities', shape: [null, 2] } },
      backbone: { id: model.backbone, sha256: model.backboneSha256, inputSize: [224, 224] },
      dataset: { sha256: datasetHash(), images: { train: 20, valid: 10, test: 0 }, changedSinceTraining: false }
    })
    expect(card.plan).toEqual(model.plan)
    expect(Date.now() - Date.parse(card.exportedAt)).toBeLessThan(10 * 60_000)
    expect(card.classes.map(({ name, train, valid, test }) => ({ name, train, valid, test }))).toEqual([
      { name: 'ants', train: 10, valid: 5, test: 0 },
      { name: 'bees', train: 10, valid: 5, test: 0 }
    ])

    // the metrics are the studio's predictions, counted
    const confusion = [
      [0, 0],
      [0, 0]
    ]
    for (const v of p.valid) confusion[v.className === 'ants' ? 0 : 1]![studio.get(v.path)!.label === 'ants' ? 0 : 1]!++
    expect(card.validation.confusion).toEqual(confusion)
    expect(card.validation.images).toBe(10)
    expect(card.validation.accuracy).toBeCloseTo((confusion[0]![0]! + confusion[1]![1]!) / 10, 10)
    card.classes.forEach((c, i) => {
      const column = confusion[0]![i]! + confusion[1]![i]!
      expect(c.recall).toBeCloseTo(confusion[i]![i]! / 5, 10)
      expect(c.precision).toBeCloseTo(column ? confusion[i]![i]! / column : 0, 10)
    })
    expect(card.validation.accuracyAtTraining).toBeCloseTo(model.valid.accuracy, 10)
  })

  it('says the same in MODEL_CARD.md, and the samples are named after the project', () => {
    const card = readJson<ModelCard>(tfjsExport.dir, 'model-card.json')
    const md = fs.readFileSync(path.join(tfjsExport.dir, 'MODEL_CARD.md'), 'utf8')
    expect(md).toMatch(/^# Model card: Ants & bees\n/)
    expect(md).toContain('| ants | 10 | 5 | 0 |')
    expect(md).toContain(`Thaw Studio ${card.studio.version}`)
    expect(md).toContain(card.dataset.sha256)
    expect(md).toContain(`top-1 labels agree on 10 of 10 images`)
    expect(md).toContain(`Validation accuracy: **${(100 * card.validation.accuracy).toFixed(1)}%**`)
    expect(md).toContain(`| ants | ${card.validation.confusion[0]!.join(' | ')} |`)
    expect(md).toContain('"epochs": 2')
    expect(fs.readFileSync(path.join(tfjsExport.dir, 'index.html'), 'utf8')).toContain('<title>Ants &#38; bees: image classifier</title>')
    expect(readJson<{ name: string }>(tfjsExport.dir, 'package.json').name).toBe('ants-bees-classifier')
  })
})

describe('failures leave nothing behind', () => {
  const exportWith = (out: string, extra: Partial<ExportOptions>): Promise<ExportResult> =>
    p.studio.jobs.run('export', (job) =>
      exportModel(p.studio.project(), p.studio.engine(), { format: 'tfjs', out, overwrite: false, opset: 13, ...extra }, job)
    )

  it('writes nothing when the bundle fails its check, not even the parent folders made for it', async () => {
    const root = tempDir()
    await expect(exportWith(path.join(root, 'a', 'b', 'bundle'), { tolerance: -1 })).rejects.toMatchObject({
      code: 'EXPORT_CHECK_FAILED',
      message: expect.stringMatching(/does not match the studio's: max \|difference\| .* top-1 agreement 10\/10; nothing was written$/)
    })
    expect(fs.readdirSync(root)).toEqual([])
  }, 120_000)

  it('writes nothing when cancelled', async () => {
    const root = tempDir()
    const off = p.studio.subscribe((e) => {
      if (e.event === 'jobProgress' && (e.payload as { kind: string }).kind === 'export') p.studio.jobs.cancelAll()
    })
    try {
      await expect(p.api.exportModel({ format: 'onnx', out: path.join(root, 'bundle') })).rejects.toMatchObject({ code: 'CANCELLED' })
    } finally {
      off()
    }
    expect(fs.readdirSync(root)).toEqual([])
  }, 120_000)

  it('refuses a folder that is not empty, and replaces only an earlier export', async () => {
    const root = tempDir()
    const mine = path.join(root, 'mine')
    fs.mkdirSync(mine)
    fs.writeFileSync(path.join(mine, 'notes.txt'), 'keep me')
    // the studio speaks no transport's words: the CLI adds --force, the UI its checkbox
    const refused = p.api.exportModel({ format: 'onnx', out: mine })
    await expect(refused).rejects.toMatchObject({ code: 'EXPORT_EXISTS', message: expect.stringMatching(/is not empty; choose a new folder, or replace the earlier export in it$/) })
    await expect(refused).rejects.toMatchObject({ message: expect.not.stringMatching(/--force/) })
    await expect(p.api.exportModel({ format: 'onnx', out: mine, overwrite: true })).rejects.toMatchObject({
      code: 'EXPORT_EXISTS',
      message: expect.stringMatching(/is not a Thaw bundle/)
    })
    expect(fs.readdirSync(mine)).toEqual(['notes.txt'])
    expect(fs.readdirSync(root)).toEqual(['mine'])

    const earlier = path.join(root, 'earlier')
    fs.cpSync(tfjsExport.dir, earlier, { recursive: true })
    const r = await p.api.exportModel({ format: 'onnx', out: earlier, overwrite: true })
    expect(r.check.passed).toBe(true)
    expect(fs.existsSync(path.join(earlier, 'model.onnx'))).toBe(true)
    expect(fs.existsSync(path.join(earlier, 'model.json'))).toBe(false)
    expect(fs.readdirSync(root).sort()).toEqual(['earlier', 'mine'])
  }, 180_000)
})

describe('CLI bad inputs: one clear line, exit 1, nothing written', () => {
  const thaw = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const { stdout, stderr } = await run(process.execPath, [path.join(repoRoot, 'bin/thaw'), ...args], { cwd: repoRoot, env: process.env })
      return { code: 0, stdout, stderr }
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string }
      return { code: e.code, stdout: e.stdout, stderr: e.stderr }
    }
  }
  /** exit 1 and one error line, the last thing on stderr (progress and the backend line may precede it) */
  const expectFailure = (r: { code: number; stderr: string }, message: RegExp): void => {
    expect(r.code).toBe(1)
    const lines = r.stderr.split('\n').filter(Boolean)
    expect(lines.filter((l) => l.startsWith('thaw: error:'))).toHaveLength(1)
    expect(`${lines[lines.length - 1]}\n`).toMatch(message)
  }

  it('export: a missing project, an untrained project, an unknown format, an unwritable folder', async () => {
    const root = tempDir()
    const out = path.join(root, 'bundle')

    const missing = await thaw('export', path.join(root, 'nope'), '--format', 'tfjs', '--out', out, '--json')
    expectFailure(missing, /^thaw: error: no project at .*nope: the folder does not exist\n$/)
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { code: 'NOT_FOUND' } })

    const untrained = path.join(root, 'untrained')
    Project.create(untrained).close()
    expectFailure(await thaw('export', untrained, '--format', 'onnx', '--out', out), /^thaw: error: this project has no trained model yet: train one first/)

    expectFailure(await thaw('export', p.dir, '--format', 'keras', '--out', out), /^thaw: error: --format must be tfjs or onnx, not "keras"\n$/)

    const file = path.join(root, 'a-file')
    fs.writeFileSync(file, 'x')
    expectFailure(await thaw('export', p.dir, '--format', 'tfjs', '--out', path.join(file, 'bundle')), /^thaw: error: cannot write the bundle to .*a-file\/bundle: part of the path is a file, not a folder\n$/)

    // a folder that holds something: the CLI names its own flag
    const full = path.join(root, 'full')
    fs.mkdirSync(full)
    fs.writeFileSync(path.join(full, 'notes.txt'), 'keep me')
    expectFailure(await thaw('export', p.dir, '--format', 'tfjs', '--out', full), /^thaw: error: .*full is not empty; choose a new folder, or replace the earlier export in it with --force\n$/)
    expect(fs.readdirSync(full)).toEqual(['notes.txt'])

    expect(fs.readdirSync(root).sort()).toEqual(['a-file', 'full', 'untrained'])
  }, 120_000)

  it('export: a read-only folder (skipped as root, who may write anywhere)', async () => {
    if (process.getuid?.() === 0) return
    const root = tempDir()
    fs.chmodSync(root, 0o555)
    try {
      expectFailure(await thaw('export', p.dir, '--format', 'tfjs', '--out', path.join(root, 'bundle')), /cannot write the bundle to .*: permission denied\n$/)
      expect(fs.readdirSync(root)).toEqual([])
    } finally {
      fs.chmodSync(root, 0o755)
    }
  }, 60_000)

  it('predict: a missing folder, an untrained project, a bundle without its model, an unreadable image', async () => {
    const root = tempDir()
    const image = p.valid[0]!.path
    expectFailure(await thaw('predict', path.join(root, 'nope'), image), /^thaw: error: no project at .*nope: the folder does not exist\n$/)

    const untrained = path.join(root, 'untrained')
    Project.create(untrained).close()
    expectFailure(await thaw('predict', untrained, image), /^thaw: error: .*no trained model yet/)

    const broken = path.join(root, 'broken')
    fs.cpSync(tfjsExport.dir, broken, { recursive: true })
    fs.rmSync(path.join(broken, 'model.json'))
    expectFailure(await thaw('predict', broken, image), /^thaw: error: .*broken is not an exported bundle \(it needs labels.json and model.json or model.onnx\)\n$/)

    const junk = path.join(root, 'junk.jpg')
    fs.writeFileSync(junk, 'not a jpeg')
    const r = await thaw('predict', tfjsExport.dir, image, junk)
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/junk\.jpg: error: /)
    expectFailure(r, /^thaw: error: 1 of 2 images could not be read\n$/)
  }, 120_000)
})
