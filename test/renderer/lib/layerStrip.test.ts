import { describe, expect, it } from 'vitest'
import type { BackboneGroups } from '../../../src/shared/types'
import { boundaryAfterKey, boundaryAtY, formatParams, formatShape, headGroup, stripRows } from '../../../src/renderer/src/lib/layerStrip'

const group = (name: string, params: number, shape: number[]): BackboneGroups['groups'][number] => ({
  name,
  firstLayer: `${name}_in`,
  lastLayer: `${name}_out`,
  layerCount: 3,
  params,
  trainableParams: params,
  outputShape: shape,
  batchNormLayers: 0
})
const groups = [group('early', 1000, [28, 28, 32]), group('middle', 5000, [14, 14, 96]), group('final', 9000, [7, 7, 1280])]

describe('headGroup', () => {
  it('counts the head the engine builds: BN(2C), dense 2C->512, BN(512), dense 512->k', () => {
    const h = headGroup(1280, 2)
    const features = 2560
    expect(h.params).toBe(4 * features + features * 512 + 512 + 4 * 512 + 512 * 2 + 2)
    expect(h.params - h.trainableParams).toBe(2 * features + 2 * 512)
    expect(h.outputShape).toEqual([2])
  })
})

describe('stripRows', () => {
  it('freezes the groups before the boundary and gives each thawed one its peak rate', () => {
    const rows = stripRows(groups, 2, { freezeTo: -3, lr: [1e-4, 1e-2] })
    expect(rows.map((r) => r.frozen)).toEqual([true, false, false, false])
    expect(rows[0]!.rate).toBeNull()
    expect(rows[1]!.rate).toBeCloseTo(1e-4)
    expect(rows[2]!.rate).toBeCloseTo(1e-3)
    expect(rows[3]!.rate).toBeCloseTo(1e-2)
    expect(rows[3]!.isHead).toBe(true)
    expect(rows[3]!.outputShape).toEqual([2])
  })

  it('shows the head alone thawed without a stage, and no rates for an unfinished lr', () => {
    expect(stripRows(groups, 2, null).map((r) => r.frozen)).toEqual([true, true, true, false])
    expect(stripRows(groups, 2, { freezeTo: 0, lr: NaN }).every((r) => r.rate === null && !r.frozen)).toBe(true)
  })
})

describe('the freeze boundary by key and by drag', () => {
  it('moves by keys within the strip', () => {
    expect(boundaryAfterKey('ArrowUp', 2, 4)).toBe(1)
    expect(boundaryAfterKey('ArrowUp', 0, 4)).toBe(0)
    expect(boundaryAfterKey('ArrowDown', 3, 4)).toBe(3)
    expect(boundaryAfterKey('ArrowRight', 2, 4)).toBe(1)
    expect(boundaryAfterKey('ArrowLeft', 2, 4)).toBe(3)
    // Home and End are the slider's minimum and maximum of trained groups
    expect(boundaryAfterKey('Home', 0, 4)).toBe(3)
    expect(boundaryAfterKey('End', 3, 4)).toBe(0)
    expect(boundaryAfterKey('x', 0, 4)).toBeNull()
  })

  it('lands on the nearest gap', () => {
    const tops = [0, 40, 80, 120]
    expect(boundaryAtY(-30, tops)).toBe(0)
    expect(boundaryAtY(55, tops)).toBe(1)
    expect(boundaryAtY(70, tops)).toBe(2)
    expect(boundaryAtY(500, tops)).toBe(3)
  })
})

describe('formatting', () => {
  it('reads parameter counts and shapes', () => {
    expect(formatParams(3487816)).toBe('3.49 M')
    expect(formatParams(53728)).toBe('53.7 K')
    expect(formatParams(12)).toBe('12')
    expect(formatShape([14, 14, 96])).toBe('14×14×96')
    expect(formatShape([])).toBe('–')
  })
})
