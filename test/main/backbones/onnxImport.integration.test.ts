// Bring your own ONNX backbone, end to end through the studio: MobileNetV2 cut at its feature
// layer and written as an NCHW ONNX file (the PyTorch convention) by the studio's own converter
// is imported, precomputed on ONNX Runtime and trained on; its features and its head's accuracy
// on hymenoptera are set beside the built-in MobileNetV2's. Then what an ONNX backbone cannot do
// (thaw, a TF.js export) is refused with the reason, and a reopened project keeps working until the file
// it refers to changes.
import Database from 'better-sqlite3'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LoadedBackbone } from '../../../src/main/backbones'
import { initBackend } from '../../../src/main/engine/backend'
import { CHECK_TOLERANCE } from '../../../src/main/engine/onnx/tolerance'
import { decodeHalf } from '../../../src/main/precompute/float16'
import { DB_FILE } from '../../../src/main/project/project'
import { Studio } from '../../../src/main/studio/studio'
import { isolatedEnv } from '../../helpers/dataset'
import { MOBILENET, mobileNetV2, mobileNetV2Onnx } from '../../helpers/onnxBackbone'
import { HYMENOPTERA, tempDir } from '../../helpers/tmp'

isolatedEnv()
const dir = path.join(tempDir(), 'p')
const studios: Studio[] = []
let bb: LoadedBackbone
let file: string

beforeAll(async () => {
  await initBackend('wasm')
  bb = await mobileNetV2()
  file = await mobileNetV2Onnx(bb, 'NCHW')
}, 120_000)
afterAll(async () => {
  for (const s of studios) await s.close()
  bb.model.dispose()
})

function open(): Studio {
  const s = new Studio({ engineWorkers: 1 })
  studios.push(s)
  return s
}

/** The stored plain-view rows of a backbone's pooled features, by image hash. */
function rows(backbone: string): Map<string, Float32Array> {
  const db = new Database(path.join(dir, DB_FILE), { readonly: true })
  const out = new Map<string, Float32Array>()
  const all = db
    .prepare(`SELECT a.hash, a.data FROM activations a JOIN activation_sets s ON s.id = a.set_id WHERE s.backbone = ? AND a.view = 0 AND s.reduce = 'concat-pool'`)
    .all(backbone) as { hash: string; data: Buffer }[]
  for (const r of all) out.set(r.hash, decodeHalf(new Uint16Array(r.data.buffer, r.data.byteOffset, r.data.byteLength / 2)))
  db.close()
  return out
}

describe('an imported ONNX backbone', () => {
  let id = ''

  it('precomputes on ONNX Runtime and trains a head as well as the built-in MobileNetV2', async () => {
    const s = open()
    const api = s.api()
    await api.createProject({ path: dir })
    await api.importFolder({ root: HYMENOPTERA })
    const info = await api.importBackbone({ folder: file, displayName: 'MobileNetV2 (ONNX, NCHW)', scale: 1 / 127.5, offset: -1 })
    id = info.id
    expect(info).toMatchObject({ sourceKind: 'onnx', inputSize: 224, featureLayer: 'features', frozenOnly: expect.stringMatching(/only TF\.js Layers backbones can thaw/) })
    expect((await api.listBackbones({})).map((b) => b.id)).toContain(id)
    // the Layers panel: no groups to thaw, and why
    expect(await api.backboneGroups({ backbone: id })).toMatchObject({ backbone: id, groups: [], frozenOnly: info.frozenOnly })

    const builtin = await api.precompute({ backbone: MOBILENET, views: 0 })
    const mine = await api.precompute({ backbone: id, views: 0 })
    expect(mine).toMatchObject({ computed: 398, failed: [], backbone: id, layer: 'features' })
    expect(mine.frozen).toMatchObject({ runtime: 'onnx', provider: 'cpu', check: null })
    console.info(`precompute, 398 images: built-in ${builtin.msPerImage.toFixed(1)} ms/image (${builtin.frozen.detail}), imported ONNX ${mine.msPerImage.toFixed(1)} ms/image (${mine.frozen.detail})`)

    // the same network, the same images: stored features agree within the frozen check's tolerance
    const a = rows(MOBILENET)
    const b = rows(id)
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort())
    let worst = 0
    for (const [hash, t] of a) {
      const o = b.get(hash)!
      let diff = 0
      let scale = 0
      for (let i = 0; i < t.length; i++) {
        diff = Math.max(diff, Math.abs(o[i]! - t[i]!))
        scale = Math.max(scale, Math.abs(t[i]!))
      }
      worst = Math.max(worst, diff / scale)
    }
    console.info(`stored features, imported ONNX vs built-in: max |difference| ${worst.toExponential(2)} of the row's largest value`)
    expect(worst).toBeLessThanOrEqual(CHECK_TOLERANCE)

    const ref = await api.train({ backbone: MOBILENET, epochs: 10, seed: 42 })
    const got = await api.train({ backbone: id, epochs: 10, seed: 42 })
    console.info(`head, 10 epochs, seed 42: built-in ${(100 * ref.valid.accuracy).toFixed(1)}%, imported ONNX ${(100 * got.valid.accuracy).toFixed(1)}%`)
    expect(got.backbone).toBe(id)
    expect(got.stages[0]!.cache).toBe('features')
    expect(Math.abs(got.valid.accuracy - ref.valid.accuracy)).toBeLessThanOrEqual(0.01)

    // prediction runs the ONNX file then the head: the same answer as training's own validation pass
    const val = path.join(HYMENOPTERA, 'val', 'bees')
    const pics = fs.readdirSync(val).sort().slice(0, 3).map((f) => path.join(val, f))
    const p = await api.predict({ paths: pics, modelId: got.modelId })
    for (const r of p.results) {
      expect(r).toMatchObject({ label: expect.any(String) })
      const probs = Object.values((r as { probs: Record<string, number> }).probs)
      expect(probs.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 4)
    }
    expect(p.results.filter((r) => (r as { label: string }).label === 'bees').length).toBeGreaterThanOrEqual(2)

    // scoring the library reads the cached features (the head alone runs), and agrees with training
    const all = await api.predictAll({ modelId: got.modelId })
    expect(all).toMatchObject({ source: 'cache', failed: [] })
    expect(all.computed + all.reused).toBeGreaterThanOrEqual(390)
    // a copy from outside the project is embedded on the fly by the ONNX file: nearest is its original
    const outside = path.join(tempDir(), 'copy.jpg')
    fs.copyFileSync(pics[0]!, outside)
    const sim = await api.similarImages({ path: outside, k: 3 })
    expect(sim.queryImageId).toBeNull()
    expect(sim.similar[0]).toMatchObject({ path: pics[0], similarity: expect.any(Number) })
    expect(sim.similar[0]!.similarity).toBeGreaterThan(0.999)
  }, 900_000)

  it('refuses to thaw it or export it as TF.js, saying why, and changes nothing', async () => {
    const api = studios[0]!.api()
    const before = (await api.listModels({})).models.length
    await expect(api.train({ backbone: id, plan: { stages: [{ name: 'last group', freezeTo: -2, epochs: 1, lr: [1e-4, 1e-3] }] } })).rejects.toMatchObject({
      code: 'BAD_PLAN',
      message: expect.stringMatching(/would thaw the backbone: .*only TF\.js Layers backbones can thaw.*freezeTo -1/)
    })
    // its bundle is ONNX only (test/main/export/importedBundle.test.ts exports one)
    const out = path.join(tempDir(), 'bundle')
    await expect(api.exportModel({ format: 'tfjs', out })).rejects.toMatchObject({ code: 'EXPORT_ONNX_ONLY', message: expect.stringMatching(/imported ONNX backbone .*only ONNX Runtime can run/) })
    expect(fs.existsSync(out)).toBe(false)
    expect((await api.listModels({})).models.length).toBe(before)
  }, 300_000)

  it('keeps working after the project is reopened, and says so when its file changes', async () => {
    await studios[0]!.close()
    const s = open()
    await s.api().openProject({ path: dir })
    expect(await s.api().precomputeStatus({ backbone: id })).toMatchObject({ images: 398, cached: 398, missing: 0 })
    const again = await s.api().predict({ paths: [path.join(HYMENOPTERA, 'val', 'ants', fs.readdirSync(path.join(HYMENOPTERA, 'val', 'ants')).sort()[0]!)] })
    expect(again.results[0]).toMatchObject({ label: expect.any(String) })
    await s.close()

    const copy = path.join(process.env.THAW_CACHE_DIR!, 'backbones', id, 'model.onnx')
    fs.appendFileSync(copy, Buffer.from([0]))
    const t = open()
    await t.api().openProject({ path: dir })
    await expect(t.api().precomputeStatus({ backbone: id })).rejects.toMatchObject({ code: 'BACKBONE_CHECKSUM', message: expect.stringMatching(/changed since it was imported.*import it again/) })
    await expect(t.api().predict({ paths: [file] })).rejects.toMatchObject({ code: 'BACKBONE_CHECKSUM' })
  }, 300_000)
})
