import { mulberry32 } from '../util/random'

/**
 * A very sparse random projection (Li, Hastie & Church, "Very sparse random projections", KDD
 * 2006; Achlioptas 2003): entries are +-sqrt(s) with probability 1/(2s) each and 0 otherwise,
 * s = sqrt(inputDim). Inner products, and so cosines of unit vectors, are kept in expectation
 * (Johnson-Lindenstrauss): the error on a cosine shrinks with 1 - cosine, so close pairs (what
 * near-duplicate search looks for) stay close. It takes a 2,560-float MobileNetV2 embedding to
 * 256 floats in ~13k multiply-adds instead of 655k for a dense projection, which is what lets
 * 100,000 images fit a nearest-neighbour index in ~100 MB.
 */
export class SparseProjection {
  /** per output dimension: the input indices it sums, and their signs */
  private readonly index: Int32Array[]
  private readonly sign: Float32Array[]

  constructor(
    readonly inputDim: number,
    readonly outputDim: number,
    seed = 1
  ) {
    const s = Math.sqrt(inputDim)
    const p = 1 / s
    const rand = mulberry32(seed)
    this.index = []
    this.sign = []
    for (let o = 0; o < outputDim; o++) {
      const idx: number[] = []
      const sg: number[] = []
      for (let i = 0; i < inputDim; i++) {
        if (rand() < p) {
          idx.push(i)
          sg.push(rand() < 0.5 ? -1 : 1)
        }
      }
      this.index.push(Int32Array.from(idx))
      this.sign.push(Float32Array.from(sg))
    }
  }

  /** Projects `x` into `out` at `offset` and scales the result to unit length (cosine space). */
  projectUnit(x: Float32Array, out: Float32Array, offset = 0): void {
    let norm = 0
    for (let o = 0; o < this.outputDim; o++) {
      const idx = this.index[o]!
      const sg = this.sign[o]!
      let v = 0
      for (let k = 0; k < idx.length; k++) v += sg[k]! * x[idx[k]!]!
      out[offset + o] = v
      norm += v * v
    }
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0
    for (let o = 0; o < this.outputDim; o++) out[offset + o]! *= inv
  }
}

/** Scales a vector to unit length in place (a zero vector stays zero); returns it. */
export function normalize(x: Float32Array): Float32Array {
  let norm = 0
  for (let i = 0; i < x.length; i++) norm += x[i]! * x[i]!
  const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0
  for (let i = 0; i < x.length; i++) x[i]! *= inv
  return x
}

export function dot(a: Float32Array, b: Float32Array, bOffset = 0): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i]! * b[bOffset + i]!
  return s
}
