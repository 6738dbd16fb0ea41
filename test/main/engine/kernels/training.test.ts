import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { expectClose, randomTensor, seededRandom, useWasmWithTrainingKernels, type HostTensor } from './support'

beforeAll(useWasmWithTrainingKernels)

/** Conv, strided depthwise with multiplier 2, pointwise conv, then a softmax head: every conv kernel trains. */
function tinyConvNet(): tf.Sequential {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [9, 9, 3], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, depthMultiplier: 2, padding: 'same', activation: 'relu' }),
      tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'valid' }),
      tf.layers.conv2d({ filters: 5, kernelSize: 1 }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 3, activation: 'softmax' })
    ]
  })
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' })
  return model
}

function hostWeights(model: tf.LayersModel): HostTensor[] {
  return model.getWeights().map((w) => ({ shape: w.shape, data: w.dataSync() as Float32Array }))
}

async function trainSteps(backend: 'cpu' | 'wasm', initial: HostTensor[] | null, batch: { xs: HostTensor; ys: HostTensor }, steps: number) {
  await tf.setBackend(backend)
  const model = tinyConvNet()
  if (initial !== null) {
    const weights = initial.map((w) => tf.tensor(w.data, w.shape))
    model.setWeights(weights)
    tf.dispose(weights)
  }
  const start = hostWeights(model)
  const xs = tf.tensor(batch.xs.data, batch.xs.shape)
  const ys = tf.tensor(batch.ys.data, batch.ys.shape)
  const losses: number[] = []
  const tensorCounts: number[] = []
  let afterFirstStep: HostTensor[] = []
  for (let step = 0; step < steps; step++) {
    losses.push((await model.trainOnBatch(xs, ys)) as number)
    tensorCounts.push(tf.memory().numTensors)
    if (step === 0) afterFirstStep = hostWeights(model)
  }
  tf.dispose([xs, ys])
  model.dispose()
  return { start, afterFirstStep, losses, tensorCounts }
}

describe('a conv + depthwise model trains on wasm like on cpu', () => {
  it('one Adam step gives the same loss and weights, and later steps leak no tensors', async () => {
    const random = seededRandom(99)
    const xs = randomTensor(random, [4, 9, 9, 3])
    const ys: HostTensor = { shape: [4, 3], data: Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0]) }
    const cpu = await trainSteps('cpu', null, { xs, ys }, 1)
    const wasm = await trainSteps('wasm', cpu.start, { xs, ys }, 3)

    expect(wasm.losses[0]).toBeCloseTo(cpu.losses[0]!, 5)
    cpu.afterFirstStep.forEach((expected, i) => expectClose(wasm.afterFirstStep[i]!, expected, `weight ${i} after one step`))
    cpu.afterFirstStep.forEach((expected, i) => {
      const moved = expected.data.some((v, j) => v !== cpu.start[i]!.data[j])
      expect(moved, `weight ${i} changed on cpu`).toBe(true)
    })
    // The first step creates Adam's slots; after that the count must stay flat.
    expect(wasm.tensorCounts[2]).toBe(wasm.tensorCounts[1])
  })
})
