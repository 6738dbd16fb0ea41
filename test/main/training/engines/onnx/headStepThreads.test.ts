// The head step's intra-op threads: every core by default, fewer when the caller says so (the
// folds of suspects train in two workers at once, each on its share of the cores). The thread
// count changes how the products are split, not what a step computes.
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import os from 'node:os'
import { afterAll, describe, expect, it } from 'vitest'
import { ActivationData } from '../../../../../src/main/training/data/activationData'
import { releaseHeadSessions } from '../../../../../src/main/training/engines/onnx/headStep'
import { fitStage, type EpochMetrics } from '../../../../../src/main/training/fit'
import { buildHead, headTrainable } from '../../../../../src/main/training/head'
import { mulberry32 } from '../../../../../src/main/util/random'
import { stageSchema } from '../../../../../src/shared/plan'

afterAll(() => releaseHeadSessions())

function blobs(n: number, dim: number): ActivationData {
  const rand = mulberry32(2)
  const rows: number[] = []
  const train: { label: number; rows: number[] }[] = []
  const valid: { label: number; row: number }[] = []
  for (let i = 0; i < n; i++) {
    const label = i % 2
    const row = rows.length / dim
    for (let d = 0; d < dim; d++) rows.push((d % 2 === label ? 1 : -0.5) + (rand() - 0.5) * 2)
    if (i % 5 === 4) valid.push({ label, row })
    else train.push({ label, rows: [row] })
  }
  return new ActivationData([dim], Float32Array.from(rows), train, valid)
}

describe('head step threads', () => {
  it('uses the threads it is given, and one thread takes the steps every core takes', async () => {
    await tf.setBackend('wasm')
    const data = blobs(160, 64)
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
