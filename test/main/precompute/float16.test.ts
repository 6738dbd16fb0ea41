import { describe, expect, it } from 'vitest'
import { decodeHalf, encodeHalf, fromHalf, toHalf } from '../../../src/main/precompute/float16'

describe('float16', () => {
  it('encodes the IEEE reference values exactly', () => {
    expect(toHalf(0)).toBe(0)
    expect(toHalf(-0)).toBe(0x8000)
    expect(toHalf(1)).toBe(0x3c00)
    expect(toHalf(-2)).toBe(0xc000)
    expect(toHalf(65504)).toBe(0x7bff) // largest half
    expect(toHalf(65520)).toBe(0x7c00) // rounds to Infinity
    expect(toHalf(Infinity)).toBe(0x7c00)
    expect(toHalf(2 ** -24)).toBe(0x0001) // smallest subnormal
    expect(toHalf(2 ** -14)).toBe(0x0400) // smallest normal
    expect(toHalf(1 + 2 ** -11)).toBe(0x3c00) // halfway: round to even (down)
    expect(toHalf(1 + 3 * 2 ** -11)).toBe(0x3c02) // halfway: round to even (up)
    expect(Number.isNaN(fromHalf(toHalf(NaN)))).toBe(true)
  })

  it('round-trips every half value', () => {
    for (let h = 0; h < 65536; h++) {
      const v = fromHalf(h)
      if (Number.isNaN(v)) continue
      expect(toHalf(v)).toBe(h)
    }
  })

  it('keeps relative error under 2^-11 in the normal range', () => {
    const values = new Float32Array(10000).map((_, i) => (i - 5000) * 0.0137 + Math.sin(i))
    const back = decodeHalf(encodeHalf(values))
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!
      if (Math.abs(v) < 2 ** -14) continue
      expect(Math.abs(back[i]! - v) / Math.abs(v)).toBeLessThanOrEqual(2 ** -11)
    }
  })
})
