// The layers strip works out the head's size itself (the contract describes the backbone's groups
// only): this keeps it equal to the head the engine really builds.
import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { buildHead } from '../../../src/main/training/head'
import { headGroup } from '../../../src/renderer/src/lib/layerStrip'

describe('headGroup against buildHead', () => {
  it.each([
    [1280, 2],
    [160, 7]
  ])('counts the parameters of the head on %i channels with %i classes', async (channels, classes) => {
    await tf.setBackend('cpu')
    const head = buildHead(2 * channels, classes)
    try {
      const trainable = head.trainableWeights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0)
      const group = headGroup(channels, classes)
      expect(group.params).toBe(head.countParams())
      expect(group.trainableParams).toBe(trainable)
    } finally {
      head.dispose()
    }
  })
})
