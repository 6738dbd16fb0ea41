// Imported first so wasm's own kernels are registered before ours replace or add to them.
import '@tensorflow/tfjs-backend-wasm'
import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs'
import type { KernelConfig } from '@tensorflow/tfjs'
import { batchMatMulConfig, rememberOriginalBatchMatMul } from './batch_mat_mul'
import { conv2DBackpropFilterConfig } from './conv2d_backprop_filter'
import { conv2DBackpropInputConfig } from './conv2d_backprop_input'
import { depthwiseBackpropFilterConfig } from './depthwise_backprop_filter'
import { depthwiseBackpropInputConfig } from './depthwise_backprop_input'
import { installFastGradients } from './fast_gradients'
import { WASM } from './wasm_ops'

/**
 * Three of these are missing from tfjs-backend-wasm 4.22; Conv2DBackpropInput
 * exists there but is a scalar C++ loop 10-30x slower than the forward conv, so it
 * is replaced too (otherwise a training step cannot stay near 3x the forward).
 */
const trainingKernels: readonly KernelConfig[] = [
  batchMatMulConfig,
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  depthwiseBackpropFilterConfig,
  depthwiseBackpropInputConfig
]

export const WASM_TRAINING_KERNEL_NAMES: readonly string[] = trainingKernels.map((k) => k.kernelName)

/**
 * Makes conv and depthwise-conv layers trainable on the wasm backend. Idempotent,
 * and independent of the active backend: the engine looks kernels up by backend
 * name at call time, and none of these needs a setup step.
 */
export function registerWasmTrainingKernels(): void {
  installFastGradients()
  for (const config of trainingKernels) {
    const current = getKernel(config.kernelName, WASM)
    if (current?.kernelFunc === config.kernelFunc) continue
    if (current && config === batchMatMulConfig) rememberOriginalBatchMatMul(current)
    if (current !== undefined) unregisterKernel(config.kernelName, WASM)
    registerKernel(config)
  }
}
