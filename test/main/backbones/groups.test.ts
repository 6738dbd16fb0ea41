import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { crossingTensor, isSingleTensorCut, modelGraph } from '../../../src/main/backbones/graph'
import { loadBackbone, type LoadedBackbone } from '../../../src/main/backbones/load'
import { BUILTIN_BACKBONES } from '../../../src/main/backbones/registry'
import { describeGroups } from '../../../src/main/backbones/segments'
import { initBackend } from '../../../src/main/engine/backend'
import { BACKBONE_MIRROR, tempDir } from '../../helpers/tmp'

const loaded = new Map<string, LoadedBackbone>()

beforeAll(async () => {
  await initBackend('wasm')
  const cacheDir = tempDir('thaw-cache-')
  for (const spec of BUILTIN_BACKBONES) loaded.set(spec.id, await loadBackbone(spec.id, { cacheDir, mirror: BACKBONE_MIRROR }))
})
afterAll(() => {
  for (const { model } of loaded.values()) model.dispose()
})

describe.each(BUILTIN_BACKBONES.map((spec) => [spec.id] as const))('layer groups of %s', (id) => {
  it('end at layers whose output is the only tensor crossing the boundary', () => {
    const { model, spec } = loaded.get(id) as LoadedBackbone
    const graph = modelGraph(model)
    for (const group of spec.groups) expect(crossingTensor(graph, group.lastLayer), group.lastLayer).toBeNull()
  })

  it('cover the body from the input to the feature layer, with a last group small enough for a laptop CPU', () => {
    const { model, spec } = loaded.get(id) as LoadedBackbone
    const groups = describeGroups(model, spec)
    console.table(groups.map((g) => ({ ...g, outputShape: g.outputShape.join('x') })))
    const graph = modelGraph(model)
    const featureIndex = graph.findIndex((layer) => layer.name === spec.featureLayer)
    const bodyParams = graph.slice(0, featureIndex + 1).reduce((sum, layer) => sum + model.getLayer(layer.name).countParams(), 0)
    expect(groups.reduce((sum, g) => sum + g.params, 0)).toBe(bodyParams)
    expect(groups.reduce((sum, g) => sum + g.layerCount, 0)).toBe(featureIndex) // every layer but the input
    expect(groups.at(-1)?.outputShape).toEqual([...spec.featureShape])
    expect(groups.at(-1)?.trainableParams).toBeLessThan(1_000_000)
    for (let i = 1; i < groups.length; i++) expect(groups[i]?.firstLayer).not.toBe(groups[i - 1]?.lastLayer)
  })
})

describe('single-tensor cuts', () => {
  it('rejects a cut inside a residual block and names the tensor that crosses it', () => {
    const graph = modelGraph((loaded.get('mobilenet_v2_1.0_224') as LoadedBackbone).model)
    expect(isSingleTensorCut(graph, 'expanded_conv_5_expand_relu6')).toBe(false)
    expect(crossingTensor(graph, 'expanded_conv_5_expand_relu6')).toEqual({ from: 'expanded_conv_4_project', readBy: 'expanded_conv_5_add_add' })
    // a block output that feeds the next block's residual add is still a clean cut
    expect(isSingleTensorCut(graph, 'expanded_conv_4_project')).toBe(true)
  })

  it('counts BatchNorm moving statistics as parameters but not as trainable ones', () => {
    const { model, spec } = loaded.get('mobilenet_v1_0.75_224') as LoadedBackbone
    const [early] = describeGroups(model, spec)
    expect(early && early.trainableParams < early.params).toBe(true)
    const v2 = loaded.get('mobilenet_v2_1.0_224') as LoadedBackbone
    for (const g of describeGroups(v2.model, v2.spec)) expect(g.trainableParams).toBe(g.params) // BN folded: nothing frozen
  })
})
