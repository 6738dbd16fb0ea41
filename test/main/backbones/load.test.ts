import * as tf from '@tensorflow/tfjs'
import fs from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { importBackboneFromFolder, listBackbones, loadBackbone, resolveBackboneSpec } from '../../../src/main/backbones/load'
import { isSingleTensorCut, modelGraph } from '../../../src/main/backbones/graph'
import { initBackend } from '../../../src/main/engine/backend'
import { BACKBONE_MIRROR, tempDir } from '../../helpers/tmp'

const cacheDir = tempDir('thaw-cache-')
const online = { cacheDir, mirror: BACKBONE_MIRROR }
const offline = { cacheDir, mirror: null, download: false }

beforeAll(async () => {
  await initBackend('wasm')
})

/** Writes a TF.js Layers model folder the way tfjs-converter lays one out. */
async function saveModelFolder(model: tf.LayersModel, folder: string): Promise<void> {
  fs.mkdirSync(folder, { recursive: true })
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = Buffer.from(artifacts.weightData as ArrayBuffer)
      fs.writeFileSync(path.join(folder, 'weights.bin'), weights)
      const manifest = [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }]
      fs.writeFileSync(path.join(folder, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: artifacts.modelTopology, weightsManifest: manifest }))
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
    })
  )
}

function smallConvNet(inputShape: [number | null, number | null, number]): tf.LayersModel {
  const input = tf.input({ shape: inputShape })
  const a = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'stem' }).apply(input) as tf.SymbolicTensor
  const b = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'branch' }).apply(a) as tf.SymbolicTensor
  const added = tf.layers.add({ name: 'block_add' }).apply([a, b]) as tf.SymbolicTensor
  const top = tf.layers.conv2d({ filters: 8, kernelSize: 1, activation: 'relu', name: 'top_relu' }).apply(added) as tf.SymbolicTensor
  const pooled = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(top) as tf.SymbolicTensor
  const out = tf.layers.dense({ units: 2, activation: 'softmax', name: 'head' }).apply(pooled) as tf.SymbolicTensor
  return tf.model({ inputs: input, outputs: out })
}

describe('loadBackbone', () => {
  it('loads MobileNetV2 from the cache after fetching it once, and offline afterwards', async () => {
    const t0 = performance.now()
    const first = await loadBackbone('mobilenet_v2_1.0_224', online)
    const fetchAndLoadMs = performance.now() - t0
    expect(first.model.outputs[0]?.shape).toEqual([null, 1000])
    expect(first.source).toMatchObject({ kind: 'download', location: path.join(cacheDir, 'mobilenet_v2_1.0_224') })
    expect(first.source.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(first.model.layers.every((layer) => layer.trainable)).toBe(true)

    const t1 = performance.now()
    const again = await loadBackbone('mobilenet_v2_1.0_224', offline)
    console.info(`mobilenet_v2: fetch from folder mirror + load ${fetchAndLoadMs.toFixed(0)} ms, load from cache ${(performance.now() - t1).toFixed(0)} ms`)
    expect(again.source.sha256).toBe(first.source.sha256)
    first.model.dispose()
    again.model.dispose()
  })

  it('loads MobileNet v1 with its BatchNorm layers', async () => {
    const { model, spec } = await loadBackbone('mobilenet_v1_0.75_224', online)
    expect(model.layers.filter((layer) => layer.getClassName() === 'BatchNormalization')).toHaveLength(27)
    expect(model.getLayer(spec.featureLayer).outputShape).toEqual([null, 7, 7, 768])
    model.dispose()
  })

  it('loads the nsfwjs fallback from node_modules with no cache and no network, all layers trainable', async () => {
    const t0 = performance.now()
    const { model, source } = await loadBackbone('nsfwjs_mobilenet_v2', { cacheDir: tempDir(), mirror: null, download: false })
    console.info(`nsfwjs fallback: load ${(performance.now() - t0).toFixed(0)} ms`)
    expect(source.kind).toBe('npm-fallback')
    expect(source.location).toContain(path.join('node_modules', 'nsfwjs'))
    expect(model.getLayer('out_relu').outputShape).toEqual([null, 7, 7, 1280])
    // its model.json marks blocks 0-10 frozen; freezing is decided by the training plan instead
    expect(model.getLayer('block_1_expand').trainable).toBe(true)
    model.dispose()
  })

  it('refuses to download when told not to, and names unknown backbones', async () => {
    await expect(loadBackbone('mobilenet_v1_0.75_224', { cacheDir: tempDir(), download: false })).rejects.toMatchObject({ code: 'BACKBONE_NOT_CACHED' })
    await expect(loadBackbone('resnet_9000', { cacheDir })).rejects.toMatchObject({
      code: 'BACKBONE_UNKNOWN',
      message: expect.stringContaining('mobilenet_v2_1.0_224')
    })
  })

  it('refetches a damaged cached shard instead of failing forever', async () => {
    const cache = tempDir()
    const first = await loadBackbone('mobilenet_v2_1.0_224', { cacheDir: cache, mirror: BACKBONE_MIRROR })
    first.model.dispose()
    const shard = path.join(cache, 'mobilenet_v2_1.0_224', 'group1-shard2of2.bin')
    const bytes = fs.readFileSync(shard)
    bytes[1000] = (bytes[1000] as number) ^ 0xff
    fs.writeFileSync(shard, bytes)
    await expect(loadBackbone('mobilenet_v2_1.0_224', { cacheDir: cache, download: false })).rejects.toMatchObject({ code: 'BACKBONE_CHECKSUM' })
    const repaired = await loadBackbone('mobilenet_v2_1.0_224', { cacheDir: cache, mirror: BACKBONE_MIRROR })
    expect(repaired.source.sha256).toBe(first.source.sha256)
    repaired.model.dispose()
  })
})

describe('importBackboneFromFolder', () => {
  it('describes a real Layers model folder, copies it into the cache and loads it like any backbone', async () => {
    const cache = tempDir()
    const spec = await importBackboneFromFolder(path.join(BACKBONE_MIRROR, 'mobilenet_v1_0.75_224'), { cacheDir: cache })
    expect(spec.id).toMatch(/^custom-mobilenet-v1-0-75-224-[0-9a-f]{8}$/)
    expect(spec).toMatchObject({ inputSize: [224, 224], featureLayer: 'conv_pw_13_relu', featureShape: [7, 7, 768], source: { kind: 'folder' } })
    expect(spec.files.filter((f) => f.role === 'weights')).toHaveLength(55)
    expect((await listBackbones({ cacheDir: cache })).map((s) => s.id)).toContain(spec.id)
    expect(await resolveBackboneSpec(spec.id, { cacheDir: cache })).toEqual(spec)

    const { model, source } = await loadBackbone(spec.id, { cacheDir: cache, download: false })
    expect(source.kind).toBe('folder')
    const graph = modelGraph(model)
    expect(spec.groups.at(-1)?.lastLayer).toBe('conv_pw_13_relu')
    for (const group of spec.groups) {
      expect(isSingleTensorCut(graph, group.lastLayer), group.lastLayer).toBe(true)
      // never between a convolution and its BatchNorm
      expect(model.getLayer(group.lastLayer).getClassName(), group.lastLayer).not.toMatch(/Conv2D/)
    }
    expect(spec.groups.length).toBeGreaterThanOrEqual(3)
    model.dispose()
  })

  it('infers the feature layer before global pooling, and needs the input size when the model leaves it open', async () => {
    const folder = path.join(tempDir(), 'any-size')
    await saveModelFolder(smallConvNet([null, null, 3]), folder)
    await expect(importBackboneFromFolder(folder, { cacheDir: tempDir() })).rejects.toMatchObject({
      code: 'BACKBONE_BAD_FOLDER',
      message: expect.stringContaining('input size')
    })
    const spec = await importBackboneFromFolder(folder, { cacheDir: tempDir(), inputSize: [32, 32], id: 'tiny-net' })
    expect(spec).toMatchObject({ id: 'tiny-net', featureLayer: 'top_relu', featureShape: [32, 32, 8], inputSize: [32, 32] })
    expect(spec.groups.at(-1)?.lastLayer).toBe('top_relu')
    // 'branch' is inside the residual block: never a group boundary
    expect(spec.groups.map((g) => g.lastLayer)).not.toContain('branch')
  })

  it('gives a specific error for each kind of folder that is not a Layers model', async () => {
    const root = tempDir()
    const cache = { cacheDir: tempDir() }
    await expect(importBackboneFromFolder(path.join(root, 'nope'), cache)).rejects.toMatchObject({ code: 'BACKBONE_BAD_FOLDER', message: expect.stringContaining('does not exist') })
    fs.writeFileSync(path.join(root, 'file.txt'), 'x')
    await expect(importBackboneFromFolder(path.join(root, 'file.txt'), cache)).rejects.toMatchObject({ code: 'BACKBONE_BAD_FOLDER', message: expect.stringContaining('not a folder') })
    fs.mkdirSync(path.join(root, 'empty'))
    await expect(importBackboneFromFolder(path.join(root, 'empty'), cache)).rejects.toMatchObject({ code: 'BACKBONE_NOT_LAYERS_MODEL', message: expect.stringContaining('no model.json') })

    fs.mkdirSync(path.join(root, 'graph'))
    fs.writeFileSync(path.join(root, 'graph', 'model.json'), JSON.stringify({ format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [] }))
    await expect(importBackboneFromFolder(path.join(root, 'graph'), cache)).rejects.toMatchObject({ code: 'BACKBONE_NOT_LAYERS_MODEL', message: expect.stringContaining('graph model') })

    fs.mkdirSync(path.join(root, 'garbled'))
    fs.writeFileSync(path.join(root, 'garbled', 'model.json'), '{"modelTopology": ')
    await expect(importBackboneFromFolder(path.join(root, 'garbled'), cache)).rejects.toMatchObject({ code: 'BACKBONE_NOT_LAYERS_MODEL', message: expect.stringContaining('not valid JSON') })

    const noShard = path.join(root, 'no-shard')
    await saveModelFolder(smallConvNet([16, 16, 3]), noShard)
    fs.rmSync(path.join(noShard, 'weights.bin'))
    await expect(importBackboneFromFolder(noShard, cache)).rejects.toMatchObject({ code: 'BACKBONE_BAD_FOLDER', message: expect.stringContaining('weights.bin') })
  })
})
