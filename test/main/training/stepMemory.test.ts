import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { beforeAll, describe, expect, it } from 'vitest'
import { bytesPerImage, microBatchFor, nativeStepMemory, WASM_STEP_MEMORY } from '../../../src/main/training/stepMemory'

beforeAll(async () => {
  await tf.setBackend('wasm')
})

/** 8x8x3 -> conv 8x8x4 -> relu: 256 + 256 activations per image (the input layer is not counted). */
function tiny(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 3] })
  const conv = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(input) as tf.SymbolicTensor
  const out = tf.layers.reLU().apply(conv) as tf.SymbolicTensor
  return tf.model({ inputs: input, outputs: out })
}

describe('step memory', () => {
  it('counts every activation four times over, four bytes each', () => {
    const m = tiny()
    expect(bytesPerImage(m)).toBe((8 * 8 * 3 + 256 + 256) * 16)
    m.dispose()
  })

  it("sizes TF.js's micro-batch for its wasm heap and a native engine's for the machine", () => {
    const m = tiny()
    const per = bytesPerImage(m)
    expect(microBatchFor(m)).toBe(Math.floor(WASM_STEP_MEMORY / per))
    expect(microBatchFor(m, 10 * per + 1)).toBe(10)
    expect(microBatchFor(m, 1)).toBe(1) // at least one image, whatever the memory
    m.dispose()
    // 1/8 of the machine, at most 2 GB: 1 GB on an 8 GB laptop, 2 GB from 16 GB up
    expect(nativeStepMemory(8 * 1024 ** 3, undefined)).toBe(1024 ** 3)
    expect(nativeStepMemory(64 * 1024 ** 3, undefined)).toBe(2e9)
    expect(nativeStepMemory(64 * 1024 ** 3, '700')).toBe(700e6)
    expect(() => nativeStepMemory(8 * 1024 ** 3, '0')).toThrow('THAW_STEP_MEMORY_MB must be a number of megabytes above 0, not "0"')
    expect(() => nativeStepMemory(8 * 1024 ** 3, '2GB')).toThrow('THAW_STEP_MEMORY_MB')
    expect(nativeStepMemory(8 * 1024 ** 3, '')).toBe(1024 ** 3)
    // the whole MobileNetV2 at 224 px (~210 MB per image by the estimate): 3 on TF.js, 5 on an
    // 8 GB laptop, 9 from 16 GB up
    const mobileNet = 210.4e6
    expect(Math.floor(WASM_STEP_MEMORY / mobileNet)).toBe(3)
    expect(Math.floor(nativeStepMemory(8 * 1024 ** 3, undefined) / mobileNet)).toBe(5)
    expect(Math.floor(nativeStepMemory(16 * 1024 ** 3, undefined) / mobileNet)).toBe(9)
  })
})
