import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { buildHead } from '../../../src/main/training/head'

describe('buildHead', () => {
  it('makes the same weights from the same seed, 0 (the default) included, and others from another', () => {
    const weights = (seed?: number) => {
      const head = buildHead(12, 2, { hidden: 6, ...(seed === undefined ? {} : { seed }) })
      const w = head.getWeights().map((t) => Array.from(t.dataSync()))
      head.dispose()
      return w
    }
    const before = tf.memory().numTensors
    // tfjs-core reads a seed of 0 as none (Math.random): the default seed must not be random
    expect(weights()).toEqual(weights())
    expect(weights(0)).toEqual(weights())
    expect(weights(7)).toEqual(weights(7))
    expect(weights(7)[2]).not.toEqual(weights(8)[2])
    expect(tf.memory().numTensors).toBe(before)
  })
})
