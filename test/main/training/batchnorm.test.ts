import * as tf from '@tensorflow/tfjs'
import fs from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { BackboneSpec, LoadedBackbone } from '../../../src/main/backbones'
import { buildSegment } from '../../../src/main/backbones'
import { initBackend } from '../../../src/main/engine/backend'
import type { LabelledSet } from '../../../src/main/training/data/labelledSet'
import { fitStage } from '../../../src/main/training/fit'
import { buildHead } from '../../../src/main/training/head'
import { frozenParts } from '../../../src/main/engine/runtime'
import { setupStage } from '../../../src/main/training/stageSetup'
import { stageSchema } from '../../../src/shared/plan'
import { HYMENOPTERA } from '../../helpers/tmp'

// A two-group toy backbone with real batch-norm layers, fed real images at 32 px: the Keras
// rule (frozen BN runs in inference mode) and fastai's trainBn, seen through the weights.

beforeAll(async () => {
  await initBackend('wasm')
})

function toyBackbone(): LoadedBackbone {
  const input = tf.input({ shape: [32, 32, 3], name: 'input' })
  let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', name: 'conv_a', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tf.SymbolicTensor
  x = tf.layers.batchNormalization({ name: 'bn_a', momentum: 0.5 }).apply(x) as tf.SymbolicTensor
  x = tf.layers.reLU({ name: 'relu_a' }).apply(x) as tf.SymbolicTensor
  x = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', name: 'conv_b', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(x) as tf.SymbolicTensor
  x = tf.layers.batchNormalization({ name: 'bn_b', momentum: 0.5 }).apply(x) as tf.SymbolicTensor
  x = tf.layers.reLU({ name: 'relu_b' }).apply(x) as tf.SymbolicTensor
  const model = tf.model({ inputs: input, outputs: x, name: 'toy' })
  const spec = {
    id: 'toy',
    inputSize: [32, 32],
    preprocessing: { resize: 'squash', scale: 1 / 127.5, offset: -1, channels: 'RGB' },
    featureLayer: 'relu_b',
    featureShape: [8, 8, 8],
    groups: [
      { name: 'first', lastLayer: 'relu_a' },
      { name: 'second', lastLayer: 'relu_b' }
    ]
  } as unknown as BackboneSpec
  return { model, spec, source: { kind: 'folder', location: '', sha256: 'toy' } }
}

function images(): LabelledSet {
  const pick = (split: string, cls: string, n: number, label: number) =>
    fs.readdirSync(path.join(HYMENOPTERA, split, cls)).sort().slice(0, n).map((f, i) => ({ id: i + 1, hash: `${cls}${i}`, path: path.join(HYMENOPTERA, split, cls, f), label }))
  return {
    classes: ['ants', 'bees'],
    train: [...pick('train', 'ants', 6, 0), ...pick('train', 'bees', 6, 1)],
    valid: [...pick('val', 'ants', 2, 0), ...pick('val', 'bees', 2, 1)],
    counts: [6, 6]
  }
}

async function trainStage(bb: LoadedBackbone, trainBn: boolean): Promise<void> {
  const segments = new Map<string, tf.LayersModel>()
  const segment = (from: string | null, to: string) => {
    const key = `${from}:${to}`
    if (!segments.has(key)) segments.set(key, buildSegment(bb.model, from, to))
    return segments.get(key)!
  }
  const head = buildHead(16, 2, { hidden: 8, seed: 3 })
  const stage = stageSchema.parse({ freezeTo: -2, epochs: 1, lr: 1e-2, batchSize: 4, trainBn })
  // the toy's weights are its own: the frozen part is converted in memory (ONNX Runtime, checked)
  const parts = frozenParts(bb, true, segment)
  const inputs = setupStage(stage, { db: null as never, bb, segment, frozen: parts.frozen, head, data: images(), views: 0, cacheKey: null })
  await fitStage({ stageIndex: 0, stage, model: inputs.model, data: inputs.data, classes: ['ants', 'bees'], classWeights: null, seed: 1 })
  await parts.release()
  head.dispose()
}

const weights = (bb: LoadedBackbone, layer: string) => bb.model.getLayer(layer).getWeights().map((w) => Array.from(w.dataSync()))

describe('batch norm in frozen groups', () => {
  it('runs frozen batch norm in inference mode by default (the Keras rule)', async () => {
    const bb = toyBackbone()
    const frozenBn = weights(bb, 'bn_a')
    const frozenConv = weights(bb, 'conv_a')
    const thawedBn = weights(bb, 'bn_b')
    await trainStage(bb, false)
    expect(weights(bb, 'bn_a')).toEqual(frozenBn) // gamma, beta and moving statistics untouched
    expect(weights(bb, 'conv_a')).toEqual(frozenConv)
    const after = weights(bb, 'bn_b')
    expect(after[2]).not.toEqual(thawedBn[2]) // the thawed group's BN learns its statistics
    expect(after[0]).not.toEqual(thawedBn[0])
  })

  it('with trainBn, trains frozen batch norm (fastai train_bn) but never the frozen convolutions', async () => {
    const bb = toyBackbone()
    const before = weights(bb, 'bn_a')
    const frozenConv = weights(bb, 'conv_a')
    await trainStage(bb, true)
    const after = weights(bb, 'bn_a')
    expect(after[0]).not.toEqual(before[0]) // gamma
    expect(after[1]).not.toEqual(before[1]) // beta
    expect(after[2]).not.toEqual(before[2]) // moving mean: training mode
    expect(weights(bb, 'conv_a')).toEqual(frozenConv)
  })
})
