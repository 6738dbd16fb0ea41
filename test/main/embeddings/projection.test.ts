import { describe, expect, it } from 'vitest'
import { dot, normalize, SparseProjection } from '../../../src/main/embeddings/projection'
import { mulberry32 } from '../../../src/main/util/random'

describe('very sparse random projection', () => {
  it('keeps the cosines of close pairs within a few hundredths (what near-duplicate search needs)', () => {
    const d = 2560
    const rand = mulberry32(3)
    const p = new SparseProjection(d, 256, 1)
    const errors: number[] = []
    for (let t = 0; t < 40; t++) {
      // non-negative features like ReLU6 outputs, and a perturbed copy
      const a = Float32Array.from({ length: d }, () => (rand() < 0.3 ? 6 * rand() : 0))
      const b = a.map((x) => Math.max(0, x + (rand() - 0.5) * 1.5 * (0.2 + t / 40)))
      const exact = dot(normalize(Float32Array.from(a)), normalize(Float32Array.from(b)))
      const pa = new Float32Array(256)
      const pb = new Float32Array(256)
      p.projectUnit(normalize(Float32Array.from(a)), pa)
      p.projectUnit(normalize(Float32Array.from(b)), pb)
      errors.push(Math.abs(dot(pa, pb) - exact))
    }
    expect(Math.max(...errors)).toBeLessThan(0.05)
  })

  it('projects to unit length and is a function of its seed', () => {
    const x = Float32Array.from({ length: 100 }, (_, i) => Math.sin(i))
    const a = new Float32Array(32)
    const b = new Float32Array(32)
    new SparseProjection(100, 32, 5).projectUnit(x, a)
    new SparseProjection(100, 32, 5).projectUnit(x, b)
    expect(Array.from(a)).toEqual(Array.from(b))
    expect(dot(a, a)).toBeCloseTo(1, 5)
  })
})
