import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadBackbone, type LoadedBackbone } from '../../../src/main/backbones/load'
import { BUILTIN_BACKBONES } from '../../../src/main/backbones/registry'
import { buildSegment } from '../../../src/main/backbones/segments'
import { initBackend } from '../../../src/main/engine/backend'
import { BACKBONE_MIRROR, tempDir } from '../../helpers/tmp'

const loaded = new Map<string, LoadedBackbone>()
let input: tf.Tensor4D

beforeAll(async () => {
  await initBackend('wasm')
  const cacheDir = tempDir('thaw-cache-')
  for (const spec of BUILTIN_BACKBONES) loaded.set(spec.id, await loadBackbone(spec.id, { cacheDir, mirror: BACKBONE_MIRROR }))
  input = tf.randomUniform([2, 224, 224, 3], -1, 1, 'float32', 7) as tf.Tensor4D
})
afterAll(() => {
  input.dispose()
  for (const { model } of loaded.values()) model.dispose()
})

function maxRelativeDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]! / Math.max(1e-6, tf.max(tf.abs(b)).dataSync()[0]!))
}

/** The original graph's output at a layer, read through the layer's first node: the one the
 * loaded model made, before any segment re-applied the layer. */
function referenceAt(model: tf.LayersModel, layer: string): tf.LayersModel {
  return tf.model({ inputs: model.inputs, outputs: model.getLayer(layer).getOutputAt(0) as tf.SymbolicTensor })
}

describe.each(BUILTIN_BACKBONES.map((spec) => [spec.id] as const))('segments of %s', (id) => {
  it('chained group by group, equal the full model at every boundary', () => {
    const { model, spec } = loaded.get(id) as LoadedBackbone
    const references = spec.groups.map((group) => referenceAt(model, group.lastLayer))
    let from: string | null = null
    let x: tf.Tensor = input
    spec.groups.forEach((group, i) => {
      const segment = buildSegment(model, from, group.lastLayer)
      const next = segment.predict(x) as tf.Tensor
      const expected = references[i]!.predict(input) as tf.Tensor
      expect(next.shape, group.lastLayer).toEqual(expected.shape)
      expect(maxRelativeDiff(next, expected), group.lastLayer).toBeLessThan(1e-4)
      expected.dispose()
      if (x !== input) x.dispose()
      x = next
      from = group.lastLayer
      segment.dispose()
    })
    if (x !== input) x.dispose()
  })

  it('share the weights of the model and leave them alive when disposed', () => {
    const { model, spec } = loaded.get(id) as LoadedBackbone
    const cut = spec.groups[spec.groups.length - 2]!.lastLayer
    const tail = buildSegment(model, cut, spec.featureLayer)
    for (const layer of tail.layers.slice(1)) expect(layer).toBe(model.getLayer(layer.name))
    tail.dispose()
    const out = model.predict(input.slice([0], [1])) as tf.Tensor
    expect(Number.isFinite(out.dataSync()[0])).toBe(true)
    out.dispose()
  })
})

describe('buildSegment', () => {
  it('reaches the classifier from the feature layer, matching the full model output', () => {
    const { model, spec } = loaded.get('mobilenet_v2_1.0_224') as LoadedBackbone
    const trunk = buildSegment(model, null, spec.featureLayer)
    const head = buildSegment(model, spec.featureLayer, 'predictions')
    const viaSegments = tf.tidy(() => head.predict(trunk.predict(input) as tf.Tensor) as tf.Tensor)
    const direct = model.predict(input) as tf.Tensor
    expect(maxRelativeDiff(viaSegments, direct)).toBeLessThan(1e-4)
    tf.dispose([viaSegments, direct])
    trunk.dispose()
    head.dispose()
  })

  it('refuses a cut that another tensor crosses, and a backwards segment', () => {
    const { model } = loaded.get('mobilenet_v2_1.0_224') as LoadedBackbone
    expect(() => buildSegment(model, 'expanded_conv_5_expand', 'expanded_conv_6_add_add')).toThrow(/expanded_conv_5_add_add also reads expanded_conv_4_project/)
    expect(() => buildSegment(model, 'expanded_conv_6_add_add', 'expanded_conv_3_add_add')).toThrow(/does not come before/)
    expect(() => buildSegment(model, null, 'no_such_layer')).toThrow(/no layer named no_such_layer/)
  })

  it('runs MobileNetV2 to its feature layer at batch 16 on wasm (timed)', async () => {
    const { model, spec } = loaded.get('mobilenet_v2_1.0_224') as LoadedBackbone
    const trunk = buildSegment(model, null, spec.featureLayer)
    const batch = tf.randomUniform([16, 224, 224, 3], -1, 1) as tf.Tensor4D
    const timings: number[] = []
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now()
      const out = trunk.predict(batch) as tf.Tensor
      await out.data()
      timings.push(performance.now() - t0)
      expect(out.shape).toEqual([16, 7, 7, 1280])
      out.dispose()
    }
    console.info(`mobilenet_v2 trunk, batch 16 on ${tf.getBackend()}: ${timings.map((t) => t.toFixed(0)).join(' / ')} ms (first includes warm-up)`)
    batch.dispose()
    trunk.dispose()
  })
})
