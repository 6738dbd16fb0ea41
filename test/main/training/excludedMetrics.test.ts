import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Prediction, ValidSummary } from '../../../src/shared/types'
import { openDatabase } from '../../../src/main/store/db'
import { excludedIds, reportWithoutExcluded, withoutExcluded } from '../../../src/main/training/excludedMetrics'
import { validMetrics } from '../../../src/main/training/metrics'
import { tempDir } from '../../helpers/tmp'

const classes = ['ants', 'bees']
const pred = (imageId: number, label: number, probs: [number, number]): Prediction => ({
  imageId,
  label,
  predicted: probs[1] > probs[0] ? 1 : 0,
  loss: -Math.log(probs[label]!),
  probs
})
// hand-checked: 1 ants right, 2 ants predicted bees (confidently), 3 bees right, 4 bees right
const predictions = [pred(2, 0, [0.1, 0.9]), pred(4, 1, [0.4, 0.6]), pred(1, 0, [0.8, 0.2]), pred(3, 1, [0.3, 0.7])]
const summaryOf = (ps: Prediction[]): ValidSummary => {
  const m = validMetrics(Float32Array.from(ps.flatMap((p) => p.probs)), ps.map((p) => p.label), classes)
  return { accuracy: m.accuracy, loss: m.loss, classes, confusion: m.confusion, precision: m.precision, recall: m.recall }
}
const valid = summaryOf(predictions)

describe('stored metrics without the excluded images', () => {
  it('is the stored summary, untouched, when nothing shown is excluded', () => {
    expect(valid.accuracy).toBe(0.75)
    const r = withoutExcluded(valid, predictions, new Set([99]))
    expect(r.valid).toBe(valid)
    expect(r.predictions).toEqual(predictions)
  })

  it('recomputes accuracy, loss, the confusion matrix, precision and recall over the rest (hand-checked)', () => {
    // excluding the one mistake (image 2): every remaining image is right
    const r = withoutExcluded(valid, predictions, new Set([2]))
    expect(r.predictions.map((p) => p.imageId)).toEqual([4, 1, 3]) // still most wrong first
    expect(r.valid.accuracy).toBe(1)
    expect(r.valid.confusion).toEqual([
      [1, 0],
      [0, 2]
    ])
    expect(r.valid.precision).toEqual([1, 1])
    expect(r.valid.recall).toEqual([1, 1])
    expect(r.valid.loss).toBeCloseTo(-(Math.log(0.6) + Math.log(0.8) + Math.log(0.7)) / 3, 6)
    expect(r.valid.classes).toEqual(classes)
  })

  it('excluding a right answer lowers the accuracy instead', () => {
    const r = withoutExcluded(valid, predictions, new Set([1, 3]))
    expect(r.valid.accuracy).toBe(0.5)
    expect(r.valid.confusion).toEqual([
      [0, 1],
      [0, 1]
    ])
    expect(r.valid.recall).toEqual([0, 1])
    expect(r.valid.precision).toEqual([0, 0.5])
  })

  it('leaves a report without weights (no summary, no predictions) as it was', () => {
    const report = { valid: undefined, epochs: [] as unknown[] }
    expect(reportWithoutExcluded(report, new Set([1]))).toBe(report)
    const full = { valid, predictions, modelId: 3 }
    const seen = reportWithoutExcluded(full, new Set([2]))
    expect(seen.modelId).toBe(3)
    expect(seen.valid.accuracy).toBe(1)
    expect(full.valid.accuracy).toBe(0.75) // the stored report itself is never changed
  })

  it('reads the excluded images from the project', () => {
    const db = openDatabase(path.join(tempDir(), 'p.sqlite'), { create: true })
    const add = db.prepare(
      `INSERT INTO images (path, root, rel_path, split, status, hash, excluded, imported_at, updated_at) VALUES (?, '/x', ?, 'valid', 'ok', ?, ?, 'now', 'now')`
    )
    const a = Number(add.run('/x/a.jpg', 'a.jpg', 'ha', 0).lastInsertRowid)
    const b = Number(add.run('/x/b.jpg', 'b.jpg', 'hb', 1).lastInsertRowid)
    expect([...excludedIds(db)]).toEqual([b])
    expect(excludedIds(db).has(a)).toBe(false)
  })
})
