import { describe, expect, it } from 'vitest'
import { overlaidCurves, sortRuns } from '../../../src/renderer/src/lib/runs'
import type { EpochMetrics, ModelRecord } from '../../../src/shared/types'

const run = (id: number, valid: { accuracy: number; loss: number } | null): ModelRecord => ({
  id,
  name: `Model ${id}`,
  note: '',
  status: valid ? 'finished' : 'interrupted',
  auto: false,
  chosen: false,
  usable: valid !== null,
  createdAt: `2026-12-01T00:00:0${id}Z`,
  plan: {},
  planName: 'head only',
  seed: 1,
  views: 0,
  backbone: 'bb',
  backboneSha256: 's',
  datasetSha256: null,
  valid,
  epochs: 1,
  continuedFrom: null,
  bytes: 1
})

const models = [run(1, { accuracy: 0.9, loss: 0.3 }), run(2, null), run(3, { accuracy: 0.95, loss: 0.2 }), run(4, { accuracy: 0.9, loss: 0.25 })]

describe('sortRuns', () => {
  it('sorts by date, newest first', () => {
    expect(sortRuns(models, 'date').map((m) => m.id)).toEqual([4, 3, 2, 1])
  })
  it('sorts by accuracy, best first, ties newest first, runs without metrics last', () => {
    expect(sortRuns(models, 'accuracy').map((m) => m.id)).toEqual([3, 4, 1, 2])
  })
  it('sorts by loss, lowest first', () => {
    expect(sortRuns(models, 'loss').map((m) => m.id)).toEqual([3, 4, 1, 2])
  })
  it('leaves its input alone', () => {
    sortRuns(models, 'loss')
    expect(models.map((m) => m.id)).toEqual([1, 2, 3, 4])
  })
})

describe('overlaidCurves', () => {
  const e = (validLoss: number, validAccuracy: number): EpochMetrics => ({ stage: 0, epoch: 1, trainLoss: 0, validLoss, validAccuracy, ms: 0, trainMs: 0 })
  it('puts two runs of different lengths on one epoch axis', () => {
    expect(overlaidCurves([e(1, 0.5), e(0.5, 0.8)], [e(0.9, 0.6)])).toEqual([
      [1, 2],
      [1, 0.5],
      [0.9, null],
      [0.5, 0.8],
      [0.6, null]
    ])
  })
})
