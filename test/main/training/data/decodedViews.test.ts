import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import fs from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { BackboneSpec } from '../../../../src/main/backbones'
import type { RgbImage } from '../../../../src/main/backbones/preprocess'
import { DecodedViews, decodedViewsBudget } from '../../../../src/main/training/data/decodedViews'
import { ImageData } from '../../../../src/main/training/data/imageData'
import type { LabelledImage } from '../../../../src/main/training/data/labelledSet'

beforeAll(async () => {
  await tf.setBackend('wasm')
})

const image = (fill: number): RgbImage => ({ data: new Uint8Array(12).fill(fill), width: 2, height: 2 })

describe('decoded views', () => {
  it('decodes a view once and serves it again from memory', async () => {
    const views = new DecodedViews(1e6)
    let calls = 0
    const decode = async () => image(++calls)
    const a = await views.get('h', 0, decode)
    const b = await views.get('h', 0, decode)
    const c = await views.get('h', 1, decode)
    expect(calls).toBe(2)
    expect(b).toBe(a)
    expect(c.data[0]).toBe(2)
    expect(views.counts).toEqual({ decoded: 2, reused: 1 })
    expect(views.size).toBe(24)
  })

  it('stops keeping views at its budget and decodes the rest every time', async () => {
    const views = new DecodedViews(12)
    let calls = 0
    const decode = async () => image(++calls)
    await views.get('a', 0, decode)
    await views.get('b', 0, decode) // over budget: not kept
    await views.get('b', 0, decode)
    await views.get('a', 0, decode)
    expect(calls).toBe(3)
    expect(views.size).toBe(12)
  })

  it('does not keep a failed decode: the next call tries the file again', async () => {
    const views = new DecodedViews(1e6)
    await expect(views.get('h', 0, () => Promise.reject(new Error('damaged')))).rejects.toThrow('damaged')
    await Promise.resolve()
    expect((await views.get('h', 0, async () => image(7))).data[0]).toBe(7)
  })

  it('is bounded by the machine: 1/16 of its memory, at most 1 GB', () => {
    expect(decodedViewsBudget(8 * 1024 ** 3, undefined)).toBe(512 * 1024 ** 2)
    expect(decodedViewsBudget(64 * 1024 ** 3, undefined)).toBe(1024 ** 3)
    expect(decodedViewsBudget(64 * 1024 ** 3, '0')).toBe(0)
    expect(decodedViewsBudget(64 * 1024 ** 3, '100')).toBe(100e6)
    expect(() => decodedViewsBudget(8 * 1024 ** 3, 'lots')).toThrow('THAW_DECODED_VIEWS_MB must be a number of megabytes (0 or more), not "lots"')
    expect(() => decodedViewsBudget(8 * 1024 ** 3, '-5')).toThrow('THAW_DECODED_VIEWS_MB')
  })
})

const DATA = path.resolve(__dirname, '../../../../../shared/datasets/hymenoptera')

describe('image data across epochs', () => {
  const files = (split: string, cls: string): string[] => fs.readdirSync(path.join(DATA, split, cls)).sort().slice(0, 4).map((f) => path.join(DATA, split, cls, f))
  const items = (split: string): LabelledImage[] =>
    ['ants', 'bees'].flatMap((cls, label) => files(split, cls).map((p, i) => ({ id: label * 10 + i, hash: `${split}-${cls}-${i}`, path: p, label })))
  const spec: Pick<BackboneSpec, 'inputSize' | 'preprocessing'> = { inputSize: [32, 32], preprocessing: { resize: 'squash', scale: 1 / 127.5, offset: -1, channels: 'RGB' } }
  const identity = async (input: Float32Array, shape: number[]): Promise<tf.Tensor> => tf.tensor(input, shape)
  const epochs = async (data: ImageData, n: number): Promise<number[][]> => {
    const out: number[][] = []
    for (let e = 0; e < n; e++) {
      for await (const b of data.trainBatches(e, 3, 100 + e)) {
        out.push([...(b.x.dataSync() as Float32Array), ...b.labels.dataSync()])
        tf.dispose([b.x, b.labels])
      }
      for await (const b of data.validBatches(4)) {
        out.push([...(b.x.dataSync() as Float32Array)])
        tf.dispose([b.x, b.labels])
      }
    }
    return out
  }

  it('decodes each view once over the epochs and gives the batches of decoding every time, without leaking', async () => {
    const before = tf.memory().numTensors
    const kept = new ImageData(spec, identity, items('train'), items('val'), 2, new DecodedViews(1e9))
    const every = new ImageData(spec, identity, items('train'), items('val'), 2, new DecodedViews(0))
    const a = await epochs(kept, 3)
    const b = await epochs(every, 3)
    expect(a).toEqual(b)
    // 8 training images over 3 epochs of views 0..2, 8 validation images: each distinct view once
    expect(kept.decoded.counts.decoded).toBeLessThan(every.decoded.counts.decoded)
    expect(kept.decoded.counts.decoded + kept.decoded.counts.reused).toBe(every.decoded.counts.decoded)
    expect(every.decoded.counts.decoded).toBe(3 * (8 + 8))
    expect(kept.decoded.counts.reused).toBeGreaterThanOrEqual(2 * 8) // validation: every epoch after the first
    expect(tf.memory().numTensors).toBe(before)
  })
})
