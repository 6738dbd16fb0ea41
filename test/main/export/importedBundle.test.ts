// The export of a model trained on an imported ONNX backbone, end to end through the studio:
// MobileNetV2 cut at its feature layer, written as an NCHW ONNX file (the PyTorch convention) by
// the studio's own converter, is imported like a user's file, a head is trained on it, and the
// bundle (one model.onnx: the file's graph + preprocessing + concat pooling + head) is predicted
// with by `thaw predict <bundle>`, by its own predict.mjs and by onnxruntime directly, each set
// beside the studio's own predictions. Then a tampered bundle, and the refusals, each of which
// leaves an earlier export as it was.
import * as ort from 'onnxruntime-node'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LoadedBackbone } from '../../../src/main/backbones'
import { decodeForModel } from '../../../src/main/dataset/decode'
import { initBackend } from '../../../src/main/engine/backend'
import { exportModel, type ExportOptions } from '../../../src/main/export/exportModel'
import { decodeModel } from '../../../src/main/export/onnx'
import { Studio } from '../../../src/main/studio/studio'
import type { StudioApi } from '../../../src/shared/contract'
import type { ExportResult, ModelCard } from '../../../src/shared/export'
import type { PredictResult } from '../../../src/shared/types'
import { isolatedEnv, smallHymenoptera } from '../../helpers/dataset'
import { mobileNetV2, mobileNetV2Onnx } from '../../helpers/onnxBackbone'
import { tempDir } from '../../helpers/tmp'
import { runPredictMjs } from './predictMjs'

const TOLERANCE = 1e-4

isolatedEnv()
let studio: Studio
let api: StudioApi
let bb: LoadedBackbone
let file: string
let backboneId: string
let valid: string[]
/** the studio's own predictions for the validation images, by path */
let expected: Map<string, PredictResult>
let r: ExportResult

beforeAll(async () => {
  await initBackend('wasm')
  bb = await mobileNetV2()
  file = await mobileNetV2Onnx(bb, 'NCHW')
  const data = smallHymenoptera(10, 5)
  valid = ['ants', 'bees'].flatMap((c) => fs.readdirSync(path.join(data, 'val', c)).sort().map((f) => path.join(data, 'val', c, f)))
  studio = new Studio({ engineWorkers: 1 })
  api = studio.api()
  await api.createProject({ path: path.join(tempDir(), 'p'), name: 'Ants & bees' })
  await api.importFolder({ root: data })
  backboneId = (await api.importBackbone({ folder: file, displayName: 'MobileNetV2 (ONNX, NCHW)', scale: 1 / 127.5, offset: -1 })).id
  await api.precompute({ backbone: backboneId, views: 0 })
  await api.train({ backbone: backboneId, epochs: 3, seed: 7 })
  const { results } = await api.predict({ paths: valid })
  expected = new Map(results.map((p) => [p.path, p]))
  r = await api.exportModel({ format: 'onnx', out: path.join(tempDir(), 'bundle') })
}, 600_000)

afterAll(async () => {
  await studio?.close()
  bb?.model.dispose()
})

function expectSameAsStudio(results: PredictResult[]): void {
  expect(results.map((x) => x.path)).toEqual(valid)
  for (const got of results) {
    const want = expected.get(got.path)!
    expect(got.label).toBe(want.label)
    for (const [cls, p] of Object.entries(want.probs!)) expect(Math.abs(got.probs![cls]! - p)).toBeLessThanOrEqual(TOLERANCE)
  }
}

const readJson = <T>(dir: string, name: string): T => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as T

describe('the bundle of a model on an imported ONNX backbone', () => {
  it('is proven equal to the studio on every validation image, and its card says it is ONNX only', () => {
    expect(r.check).toMatchObject({ images: valid.length, top1Agree: valid.length, tolerance: TOLERANCE, passed: true, skipped: [] })
    expect(r.check.maxAbsDiff).toBeLessThanOrEqual(TOLERANCE)
    expect(r.check.studioRuntime).toMatch(/your ONNX file on ONNX Runtime, then concat pooling and the head on TF\.js/)
    console.info(`imported-backbone bundle: max |difference| ${r.check.maxAbsDiff.toExponential(2)} on ${r.check.images} images, ${(r.bytes / 1e6).toFixed(1)} MB, ${(r.ms / 1000).toFixed(1)} s`)
    const names = r.files.map((f) => f.name)
    for (const name of ['model.onnx', 'labels.json', 'preprocessing.json', 'MODEL_CARD.md', 'model-card.json', 'predict.mjs', 'package.json', 'index.html', 'manifest.json']) {
      expect(names).toContain(name)
    }
    expect(names).not.toContain('model.json')
    const card = readJson<ModelCard>(r.dir, 'model-card.json')
    expect(card).toMatchObject({ format: 'onnx', model: { file: 'model.onnx', opset: 13, input: { name: 'image', shape: [null, 224, 224, 3] } } })
    expect(card.backbone).toMatchObject({ id: backboneId, importedOnnx: { file: path.basename(file), output: 'features' } })
    expect(card.check).toEqual(r.check)
    expect(card.notes.join(' ')).toMatch(/ONNX only: the backbone is the ONNX file you imported .* no TF\.js bundle/)
    expect(fs.readFileSync(path.join(r.dir, 'MODEL_CARD.md'), 'utf8')).toMatch(/ONNX only: there is no TF\.js version of this model/)
    expect(readJson<{ scalingInModel: unknown }>(r.dir, 'preprocessing.json').scalingInModel).toEqual({ scale: 1 / 127.5, offset: -1 })
  })

  it("is one graph: the file's nodes under backbone/, the head under head/, its opset kept", () => {
    const original = decodeModel(fs.readFileSync(file))
    const m = decodeModel(fs.readFileSync(path.join(r.dir, 'model.onnx')))
    expect(m.opsetImport).toEqual([{ domain: '', version: 13 }])
    expect(m.irVersion).toBe(original.irVersion)
    expect(m.graph.input.map((v) => v.name)).toEqual(['image'])
    expect(m.graph.output.map((v) => v.name)).toEqual(['probabilities'])
    const values = [...m.graph.node.flatMap((n) => [...n.input, ...n.output]), ...m.graph.initializer.map((t) => t.name)]
    for (const name of values) expect(name).toMatch(/^(image|probabilities|backbone\/.+|head\/.+|preprocess\/.+)$/)
    // every node of the file is there, renamed, and nothing else of it
    const ours = m.graph.node.filter((n) => n.name.startsWith('backbone/'))
    expect(ours.map((n) => n.opType)).toEqual(original.graph.node.map((n) => n.opType))
    expect(ours.map((n) => n.output[0])).toEqual(original.graph.node.map((n) => `backbone/${n.output[0]}`))
    const weights = new Map(original.graph.initializer.map((t) => [`backbone/${t.name}`, Buffer.from(t.rawData).toString('base64')]))
    for (const t of m.graph.initializer.filter((x) => x.name.startsWith('backbone/'))) expect(Buffer.from(t.rawData).toString('base64')).toBe(weights.get(t.name))
    expect(m.graph.initializer.filter((x) => x.name.startsWith('backbone/'))).toHaveLength(original.graph.initializer.length)
    // the pooling and the head, as the studio's converter writes them
    expect(m.graph.node.filter((n) => n.name.startsWith('head/')).map((n) => n.opType)).toEqual(expect.arrayContaining(['GlobalAveragePool', 'GlobalMaxPool', 'Concat', 'Softmax']))
  })

  it('passes the ONNX checker (python3-onnx) with shape inference, where it is installed', () => {
    try {
      execFileSync('/usr/bin/python3', ['-c', 'import onnx'], { stdio: 'ignore' })
    } catch {
      console.info('python3-onnx is not installed: the ONNX checker did not run')
      return
    }
    const out = execFileSync(
      '/usr/bin/python3',
      ['-c', 'import onnx,sys; m=onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); onnx.shape_inference.infer_shapes(m, strict_mode=True); print("ok")', path.join(r.dir, 'model.onnx')],
      { encoding: 'utf8' }
    )
    expect(out.trim()).toBe('ok')
  }, 60_000)

  it('predicts with thaw predict <bundle> and with its own predict.mjs what the studio predicts', async () => {
    const { bundle, results } = await api.predictBundle({ bundle: r.dir, paths: valid })
    expect(bundle).toEqual({ dir: r.dir, format: 'onnx', classes: ['ants', 'bees'] })
    expectSameAsStudio(results)
    const mjs = await runPredictMjs(r.dir, valid)
    expect(mjs.code).toBe(0)
    expectSameAsStudio(JSON.parse(mjs.stdout) as PredictResult[])
  }, 120_000)

  it('runs in onnxruntime-node on a whole batch with the same probabilities', async () => {
    const session = await ort.InferenceSession.create(path.join(r.dir, 'model.onnx'))
    try {
      const per = 224 * 224 * 3
      const { resize } = readJson<{ resize: 'squash' | 'center-crop' }>(r.dir, 'preprocessing.json')
      const input = new Float32Array(valid.length * per)
      for (const [i, v] of valid.entries()) input.set(await decodeForModel(v, 224, resize), i * per)
      const out = await session.run({ image: new ort.Tensor('float32', input, [valid.length, 224, 224, 3]) })
      const probs = out['probabilities']!.data as Float32Array
      valid.forEach((v, i) => {
        const want = expected.get(v)!.probs!
        expect(Math.abs(probs[2 * i]! - want['ants']!)).toBeLessThanOrEqual(TOLERANCE)
        expect(Math.abs(probs[2 * i + 1]! - want['bees']!)).toBeLessThanOrEqual(TOLERANCE)
      })
    } finally {
      await session.release()
    }
  })

  it('is refused when tampered with, naming the file', async () => {
    const copy = path.join(tempDir(), 'copy')
    fs.cpSync(r.dir, copy, { recursive: true })
    const model = path.join(copy, 'model.onnx')
    const bytes = fs.readFileSync(model)
    bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0xff
    fs.writeFileSync(model, bytes)
    await expect(api.predictBundle({ bundle: copy, paths: valid.slice(0, 1) })).rejects.toMatchObject({ code: 'BUNDLE_TAMPERED', message: expect.stringMatching(/^model\.onnx in .* was changed after export/) })
    const mjs = await runPredictMjs(copy, valid.slice(0, 1))
    expect(mjs.code).toBe(1)
    expect(JSON.parse(mjs.stdout)).toMatchObject({ error: { code: 'BUNDLE_TAMPERED' } })
  }, 60_000)
})

describe('what it refuses, leaving an earlier export as it was', () => {
  let earlier: string
  let before: string
  beforeAll(() => {
    earlier = path.join(tempDir(), 'earlier')
    fs.cpSync(r.dir, earlier, { recursive: true })
    before = fs.readFileSync(path.join(earlier, 'manifest.json'), 'utf8')
  })
  const unchanged = (): void => {
    expect(fs.readFileSync(path.join(earlier, 'manifest.json'), 'utf8')).toBe(before)
    expect(fs.readdirSync(path.dirname(earlier))).toEqual(['earlier'])
  }
  const exportWith = (extra: Partial<ExportOptions>): Promise<ExportResult> =>
    studio.jobs.run('export', (job) => exportModel(studio.project(), studio.engine(), { format: 'onnx', out: earlier, overwrite: true, ...extra }, job))

  it('a TF.js bundle: TF.js cannot run the file', async () => {
    await expect(api.exportModel({ format: 'tfjs', out: earlier, overwrite: true })).rejects.toMatchObject({
      code: 'EXPORT_ONNX_ONLY',
      message: expect.stringMatching(/imported ONNX backbone .* only ONNX Runtime can run .*: export it in the ONNX format/)
    })
    unchanged()
  })

  it('an opset other than the file’s own', async () => {
    await expect(api.exportModel({ format: 'onnx', out: earlier, overwrite: true, opset: 17 })).rejects.toMatchObject({
      code: 'EXPORT_OPSET',
      message: expect.stringMatching(/uses ONNX opset 13, and the bundle keeps it .*: ask for opset 13, or for none$/)
    })
    unchanged()
  })

  it('a bundle over the size a single ONNX file can hold', async () => {
    await expect(exportWith({ maxModelBytes: 1024 * 1024 })).rejects.toMatchObject({
      code: 'EXPORT_TOO_LARGE',
      message: expect.stringMatching(/model\.onnx \(your ONNX file and the head\) would be \d+ MB, over the 1 MB a single ONNX file can hold/)
    })
    unchanged()
  })

  it('a bundle that does not match the studio', async () => {
    await expect(exportWith({ tolerance: -1 })).rejects.toMatchObject({
      code: 'EXPORT_CHECK_FAILED',
      message: expect.stringMatching(/the exported onnx model does not match the studio's: max \|difference\| .* top-1 agreement 10\/10; nothing was written$/)
    })
    unchanged()
  }, 120_000)

  it('and replaces it when all is well', async () => {
    const again = await exportWith({})
    expect(again.check.passed).toBe(true)
    expect(fs.readFileSync(path.join(earlier, 'manifest.json'), 'utf8')).not.toBe(before) // the card's date moved
    expect(fs.readdirSync(path.dirname(earlier))).toEqual(['earlier'])
  }, 120_000)

  // last: it damages the imported file's cached copy
  it('a backbone file that changed since it was imported', async () => {
    before = fs.readFileSync(path.join(earlier, 'manifest.json'), 'utf8')
    fs.appendFileSync(path.join(process.env.THAW_CACHE_DIR!, 'backbones', backboneId, 'model.onnx'), Buffer.from([0]))
    await expect(exportWith({})).rejects.toMatchObject({ code: 'BACKBONE_CHECKSUM', message: expect.stringMatching(/changed since it was imported.*import it again/) })
    unchanged()
  }, 120_000)
})
