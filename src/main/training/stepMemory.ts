import { envMegabytes } from '../util/envMegabytes'
import os from 'node:os'
import type * as tf from '@tensorflow/tfjs'

// How many images a training step of a thawed segment runs at once (its micro-batch): the
// activations of a micro-batch must fit in the memory the step may take, and each runtime has
// its own. A batch is split into micro-batches whose gradients add up to the batch's.

/** Activation memory the backward pass needs, per image, for a segment: every layer's output is
 * kept for the gradients and gets a gradient of its own, with temporaries on top. */
export function bytesPerImage(segment: tf.LayersModel): number {
  let elements = 0
  for (const layer of segment.layers) {
    const shape = layer.outputShape
    if (Array.isArray(shape[0])) continue
    elements += (shape as (number | null)[]).slice(1).reduce<number>((a, b) => a * (b ?? 1), 1)
  }
  return elements * 4 * 4
}

/** Memory a TF.js training step may take for activations: a wasm heap is at most 4 GB, and the
 * backbone, the optimizer state and the batch itself live there too. */
export const WASM_STEP_MEMORY = 768e6

/** Memory a native engine's step may take for activations: no heap cap, so the machine's:
 * 1/8 of its memory, at most 2 GB (1 GB on an 8 GB laptop); THAW_STEP_MEMORY_MB overrides it. Measured on ONNX Runtime (whole
 * MobileNetV2 at 224 px, 2 threads): the process's RSS grows ~140 MB per image of the
 * micro-batch (0.8 GB at 3, 1.5 GB at 8, 2.6 GB at 16, 4.7 GB at 32) against bytesPerImage's
 * estimate of 210 MB, so the estimate keeps the step inside this bound. */
export function nativeStepMemory(total = os.totalmem(), env = process.env.THAW_STEP_MEMORY_MB): number {
  return envMegabytes('THAW_STEP_MEMORY_MB', env, { zero: false }) ?? Math.min(2e9, Math.floor(total / 8))
}

/** Images per forward/backward pass of a segment's step within `memory` bytes (at least 1). */
export function microBatchFor(segment: tf.LayersModel, memory = WASM_STEP_MEMORY): number {
  return Math.max(1, Math.floor(memory / Math.max(bytesPerImage(segment), 1)))
}
