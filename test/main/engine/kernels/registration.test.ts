import * as tf from '@tensorflow/tfjs'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { registerWasmTrainingKernels, WASM_TRAINING_KERNEL_NAMES } from '../../../../src/main/engine/kernels'

// This file runs in its own process, so it sees the registry as tfjs leaves it.
const missingOnWasm = ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput']

/** Sums of the gradients of a conv -> depthwise chain w.r.t. its input and both filters. */
function smallConvGradients(): number[] {
  return tf.tidy(() => {
    const ramp = (shape: number[]) => tf.linspace(-1, 1, shape.reduce((a, b) => a * b)).reshape(shape) as tf.Tensor4D
    const loss = (...args: tf.Tensor[]) => {
      const [x, w, dw] = args as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D]
      return tf.sum(tf.square(tf.depthwiseConv2d(tf.conv2d(x, w, 1, 'same'), dw, 2, 'same')))
    }
    return tf.grads(loss)([ramp([2, 6, 6, 3]), ramp([3, 3, 3, 2]), ramp([3, 3, 2, 1])]).map((g) => g.sum().arraySync() as number)
  })
}

describe('registerWasmTrainingKernels', () => {
  afterEach(() => vi.restoreAllMocks())

  it('fills exactly the gaps tfjs-backend-wasm 4.22 has, and only for wasm', async () => {
    await import('@tensorflow/tfjs-backend-wasm')
    for (const name of missingOnWasm) expect(tf.getKernel(name, 'wasm'), name).toBeUndefined()
    const cpuBefore = WASM_TRAINING_KERNEL_NAMES.map((name) => tf.getKernel(name, 'cpu')?.kernelFunc)

    registerWasmTrainingKernels() // before the wasm backend is even initialised
    for (const name of WASM_TRAINING_KERNEL_NAMES) expect(tf.getKernel(name, 'wasm')?.backendName).toBe('wasm')
    expect(WASM_TRAINING_KERNEL_NAMES.map((name) => tf.getKernel(name, 'cpu')?.kernelFunc)).toEqual(cpuBefore)
  })

  it('is idempotent and safe after the backend is set, without registry warnings', async () => {
    registerWasmTrainingKernels()
    await tf.setBackend('wasm')
    const before = WASM_TRAINING_KERNEL_NAMES.map((name) => tf.getKernel(name, 'wasm')?.kernelFunc)
    const warn = vi.spyOn(console, 'warn')
    registerWasmTrainingKernels()
    registerWasmTrainingKernels()
    expect(WASM_TRAINING_KERNEL_NAMES.map((name) => tf.getKernel(name, 'wasm')?.kernelFunc)).toEqual(before)
    expect(warn).not.toHaveBeenCalled()
  })

  it('trains through conv and depthwise layers on wasm with the same gradients as cpu', async () => {
    registerWasmTrainingKernels()
    await tf.setBackend('wasm')
    const onWasm = smallConvGradients()
    await tf.setBackend('cpu')
    const onCpu = smallConvGradients()
    onWasm.forEach((value, i) => expect(value / onCpu[i]!).toBeCloseTo(1, 5))
  })

  it('says clearly when a dtype is not supported', async () => {
    registerWasmTrainingKernels()
    await tf.setBackend('wasm')
    const x = tf.ones([1, 4, 4, 2], 'int32')
    const dy = tf.ones([1, 4, 4, 3], 'int32')
    expect(() =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [1, 1, 2, 3] })
    ).toThrow('Thaw wasm Conv2DBackpropFilter supports float32 only, got int32.')
    tf.dispose([x, dy])
  })
})
