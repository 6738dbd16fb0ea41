/**
 * Forward vs backward cost of the conv kernels Thaw registers for wasm, on
 * MobileNetV2's late-block shapes at batch 32. Backward = input grad + filter
 * grad, called with the attrs tfjs-core's gradient functions pass.
 *
 * Every repeat uses a filter tensor it has not seen before, as in training
 * (XNNPACK caches packed weights per tensor, which would flatter the forward).
 * Times are the best of a few repeats: this machine is shared.
 */
import * as tf from '@tensorflow/tfjs'
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm'
import { registerWasmTrainingKernels } from '../../src/main/engine/kernels'

type Conv = 'conv2d' | 'depthwise'

interface Case {
  name: string
  conv: Conv
  x: [number, number, number, number]
  filter: [number, number, number, number]
  stride: number
}

const BATCH = 32
const cases: Case[] = [
  { name: 'expand 1x1 7x7x160->960', conv: 'conv2d', x: [BATCH, 7, 7, 160], filter: [1, 1, 160, 960], stride: 1 },
  { name: 'depthwise 3x3 7x7x960', conv: 'depthwise', x: [BATCH, 7, 7, 960], filter: [3, 3, 960, 1], stride: 1 },
  { name: 'project 1x1 7x7x960->160', conv: 'conv2d', x: [BATCH, 7, 7, 960], filter: [1, 1, 960, 160], stride: 1 },
  { name: 'head 1x1 7x7x320->1280', conv: 'conv2d', x: [BATCH, 7, 7, 320], filter: [1, 1, 320, 1280], stride: 1 },
  { name: 'depthwise 3x3 s2 14x14x576', conv: 'depthwise', x: [BATCH, 14, 14, 576], filter: [3, 3, 576, 1], stride: 2 },
  { name: 'depthwise 3x3 14x14x576', conv: 'depthwise', x: [BATCH, 14, 14, 576], filter: [3, 3, 576, 1], stride: 1 }
]

const REPEATS = 7

/**
 * CPU time of this process where Node provides it: wasm runs on one thread,
 * and unlike wall time it does not count the time other processes on this
 * shared 2-core machine hold the CPU. Elsewhere, wall time.
 */
const CLOCK = typeof process !== 'undefined' && typeof process.cpuUsage === 'function' ? 'process cpu time' : 'wall time'

function nowMs(): number {
  if (CLOCK === 'wall time') return performance.now()
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1000
}

/** wasm kernels run synchronously, so the op has finished when it returns (no dataSync, which would time a copy). */
function timeMs(body: () => tf.Tensor): number {
  const start = nowMs()
  const out = body()
  const ms = nowMs() - start
  out.dispose()
  return ms
}

/**
 * Best of `repeats` for each body, run round-robin after one warm-up round,
 * so a burst of load from other processes hits all of them alike.
 */
function bestOfInterleaved(repeats: number, bodies: Array<(repeat: number) => tf.Tensor>): number[] {
  const best = bodies.map(() => Infinity)
  for (let r = -1; r < repeats; r++) {
    bodies.forEach((body, i) => {
      const ms = timeMs(() => body(Math.max(r, 0)))
      if (r >= 0) best[i] = Math.min(best[i]!, ms)
    })
  }
  return best.map(round)
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100
}

function forward(c: Case, x: tf.Tensor4D, filter: tf.Tensor4D): tf.Tensor {
  return c.conv === 'conv2d'
    ? tf.conv2d(x, filter, c.stride, 'same')
    : tf.depthwiseConv2d(x, filter, c.stride, 'same')
}

function inputGrad(c: Case, dy: tf.Tensor4D, filter: tf.Tensor4D): tf.Tensor {
  const attrs = { strides: [c.stride, c.stride], pad: 'same', inputShape: c.x }
  return c.conv === 'conv2d'
    ? tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { ...attrs, dataFormat: 'NHWC' })
    : tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter }, { ...attrs, dilations: [1, 1] })
}

function filterGrad(c: Case, x: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor {
  const attrs = { strides: [c.stride, c.stride], pad: 'same', filterShape: c.filter }
  return c.conv === 'conv2d'
    ? tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, dataFormat: 'NHWC' })
    : tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, dilations: [1, 1] })
}

function measure(c: Case): Record<string, unknown> {
  const x = tf.randomNormal(c.x) as tf.Tensor4D
  const filters = Array.from({ length: REPEATS + 1 }, () => tf.randomNormal(c.filter) as tf.Tensor4D)
  const dy = tf.randomNormal(outputShape(c)) as tf.Tensor4D
  try {
    const [forwardMs, inputGradMs, filterGradMs] = bestOfInterleaved(REPEATS, [
      (r) => forward(c, x, filters[r + 1]!),
      (r) => inputGrad(c, dy, filters[r + 1]!),
      () => filterGrad(c, x, dy)
    ]) as [number, number, number]
    const backwardMs = round(inputGradMs + filterGradMs)
    return {
      name: c.name,
      x: c.x,
      filter: c.filter,
      stride: c.stride,
      forwardMs,
      inputGradMs,
      filterGradMs,
      backwardMs,
      backwardOverForward: round(backwardMs / forwardMs),
      stepOverForward: round((forwardMs + backwardMs) / forwardMs)
    }
  } finally {
    tf.dispose([x, dy, ...filters])
  }
}

function outputShape(c: Case): [number, number, number, number] {
  const [batch, height, width, channels] = c.x
  const outChannels = c.conv === 'conv2d' ? c.filter[3] : channels * c.filter[3]
  return [batch, Math.ceil(height / c.stride), Math.ceil(width / c.stride), outChannels]
}

/** wasm's own Conv2DBackpropInput, timed once per pointwise case to show why it is replaced. */
function measureNativeInputGrad(c: Case, native: tf.KernelConfig): number {
  tf.unregisterKernel(native.kernelName, 'wasm')
  tf.registerKernel(native)
  // Its setup never ran if Thaw's kernel replaced it before the backend started.
  native.setupFunc?.(tf.backend())
  try {
    const filter = tf.randomNormal(c.filter) as tf.Tensor4D
    const dy = tf.randomNormal(outputShape(c)) as tf.Tensor4D
    const ms = round(timeMs(() => inputGrad(c, dy, filter)))
    tf.dispose([filter, dy])
    return ms
  } finally {
    registerWasmTrainingKernels()
  }
}

/**
 * A whole MobileNetV2 late block (expand 1x1, depthwise 3x3, project 1x1)
 * from the per-op numbers: what thawing that block costs per step.
 */
function lateBlock(results: Array<Record<string, unknown>>): Record<string, unknown> {
  const parts = ['expand 1x1 7x7x160->960', 'depthwise 3x3 7x7x960', 'project 1x1 7x7x960->160']
  const picked = parts.map((name) => results.find((r) => r['name'] === name)!)
  const total = (key: string) => round(picked.reduce((sum, r) => sum + (r[key] as number), 0))
  const forwardMs = total('forwardMs')
  const backwardMs = total('backwardMs')
  return {
    name: 'MobileNetV2 7x7 block 160->960->160',
    parts,
    forwardMs,
    backwardMs,
    backwardOverForward: round(backwardMs / forwardMs),
    stepOverForward: round((forwardMs + backwardMs) / forwardMs)
  }
}

export async function run(): Promise<Record<string, unknown>> {
  const native = tf.getKernel('Conv2DBackpropInput', 'wasm')
  registerWasmTrainingKernels()
  const previousBackend = tf.getBackend()
  await tf.setBackend('wasm')
  try {
    const results = cases.map((c) => {
      const result = measure(c)
      if (c.conv === 'conv2d' && native !== undefined && native.kernelFunc !== tf.getKernel(native.kernelName, 'wasm')?.kernelFunc) {
        result['wasmNativeInputGradMs'] = measureNativeInputGrad(c, native)
      }
      return result
    })
    return {
      backend: 'wasm',
      threads: getThreadsCount(),
      clock: CLOCK,
      batch: BATCH,
      repeats: REPEATS,
      cases: results,
      blocks: [lateBlock(results)]
    }
  } finally {
    if (previousBackend && previousBackend !== 'wasm') await tf.setBackend(previousBackend)
  }
}

if (process.argv[1]?.endsWith('kernels.ts')) {
  run().then(
    (result) => console.log(JSON.stringify(result, null, 2)),
    (error: unknown) => {
      console.error(error)
      process.exitCode = 1
    }
  )
}
