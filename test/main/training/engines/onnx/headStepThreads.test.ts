// The head step's intra-op threads: every core by default, fewer when the caller says so (the
// folds of suspects train in two workers at once, each on its share of the cores). The thread
// count changes how the products are split, not what a step computes.
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import os from 'node:os'
import { afterAll, describe, expect, it } from 'vitest'
import { releaseHeadSessions } from '../../../../../src/main/training/engines/onnx/headStep'
import { fitStage, type EpochMetrics } from '../../../../../src/main/training/fit'
import { buildHead, headTrainable } from '../../../../../src/main/training/head'
import { stageSchema } from '../../../../../src/shared/plan'
import { blobs } from '../../../../helpers/blobs'

afterAll(() => releaseHeadSessions())


describe('head step threads', () => {
  it('uses the threads it is given, and one thread takes the steps every core takes', async () => {
    await tf.setBackend('wasm')
    const data = blobs({ n: 160, dim: 64, seed: 2, noise: { uniform: 2 }, validEvery: 5 })
    const stage = stageSchema.parse({ epochs: 2, lr: 1e-2, batchSize: 32 })
    const run = async (threads?: number) => {
      const head = buildHead(64, 2, { hidden: 32, seed: 4 })
      const history: EpochMetrics[] = []
      let runtime = ''
      await fitStage(
        { stageIndex: 0, stage, model: headTrainable(head, threads ? { threads } : {}), data, classes: ['a', 'b'], classWeights: null, seed: 5, onRuntime: (r) => (runtime = r) },
        [{ afterEpoch: (m) => void history.push(m) }]
      )
      head.dispose()
      return { history, runtime }
    }
    const one = await run(1)
    const every = await run()
    expect(one.runtime).toBe('onnxruntime-node (cpu, 1 threads)')
    expect(every.runtime).toBe(`onnxruntime-node (cpu, ${os.availableParallelism()} threads)`)
    for (const [i, e] of one.history.entries()) {
      expect(e.trainLoss).toBeCloseTo(every.history[i]!.trainLoss, 5)
      expect(e.validLoss).toBeCloseTo(every.history[i]!.validLoss, 5)
    }
    await tf.setBackend('cpu')
  })
})
