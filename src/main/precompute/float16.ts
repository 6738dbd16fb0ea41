// Activations are stored as IEEE half floats: half the disk of float32, and ReLU6 outputs
// (0..6) keep ~3 significant digits. Node 20 has no Float16Array, so convert by bit twiddling.

const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)

/** float32 -> float16 bits, round to nearest even; overflow to ±Infinity, NaN kept. */
export function toHalf(value: number): number {
  f32[0] = value
  const x = u32[0]!
  const sign = (x >>> 16) & 0x8000
  const exp = (x >>> 23) & 0xff
  let mant = x & 0x7fffff
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0) // Inf / NaN
  const e = exp - 127 + 15
  if (e >= 0x1f) return sign | 0x7c00 // too large: Inf
  if (e <= 0) {
    // subnormal half (or zero)
    if (e < -10) return sign
    mant |= 0x800000
    const shift = 14 - e
    let half = mant >>> shift
    const rest = mant & ((1 << shift) - 1)
    const halfway = 1 << (shift - 1)
    if (rest > halfway || (rest === halfway && half & 1)) half++
    return sign | half
  }
  let half = (e << 10) | (mant >>> 13)
  const rest = mant & 0x1fff
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++ // may carry into the exponent: correct
  return sign | half
}

/** float16 bits -> float32 value. */
export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >>> 10) & 0x1f
  const mant = h & 0x3ff
  if (exp === 0) return sign * mant * 2 ** -24
  if (exp === 0x1f) return mant ? NaN : sign * Infinity
  return sign * (1 + mant / 1024) * 2 ** (exp - 15)
}

// A 65536-entry table makes decoding a plain lookup: decoding runs every epoch, encoding once.
let table: Float32Array | null = null
function halfTable(): Float32Array {
  if (!table) {
    table = new Float32Array(65536)
    for (let h = 0; h < 65536; h++) table[h] = fromHalf(h)
  }
  return table
}

export function encodeHalf(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length)
  for (let i = 0; i < values.length; i++) out[i] = toHalf(values[i]!)
  return out
}

export function decodeHalf(bits: Uint16Array, out: Float32Array = new Float32Array(bits.length), offset = 0): Float32Array {
  const t = halfTable()
  for (let i = 0; i < bits.length; i++) out[offset + i] = t[bits[i]!]!
  return out
}
