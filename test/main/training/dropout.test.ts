import { describe, expect, it } from 'vitest'
import { dropoutMask } from '../../../src/main/training/dropout'

describe('dropout masks', () => {
  it('drop about `rate` of the values and scale the rest by 1 / (1 - rate)', () => {
    const mask = dropoutMask(100, 1000, 0.25, 7)
    const kept = mask.filter((v) => v !== 0)
    expect(new Set(kept)).toEqual(new Set([Math.fround(1 / 0.75)]))
    expect(kept.length / mask.length).toBeGreaterThan(0.74)
    expect(kept.length / mask.length).toBeLessThan(0.76)
  })

  it('are a function of the seed', () => {
    expect(dropoutMask(4, 50, 0.5, 3)).toEqual(dropoutMask(4, 50, 0.5, 3))
    expect(dropoutMask(4, 50, 0.5, 3)).not.toEqual(dropoutMask(4, 50, 0.5, 4))
  })

  it('a rate of 0 keeps everything', () => {
    expect(dropoutMask(2, 3, 0, 1)).toEqual(new Float32Array(6).fill(1))
  })
})
