// Dropout masks drawn in plain JavaScript from a seed. tf.dropout draws through tfjs-core's
// seeded randomUniform, which builds every value in JavaScript through seedrandom's generator: 25 ms
// for one 32 x 2560 mask, as long as the rest of a head step. The masks are a function of the
// step's seed either way, so a resumed run draws what an unbroken one would have.
import { mulberry32, seedFrom } from '../util/random'

/** Multipliers for `rows x width` values: 0 with probability `rate`, else 1 / (1 - rate). */
export function dropoutMask(rows: number, width: number, rate: number, seed: number): Float32Array {
  // (UpdateArena.dropout, ./engines/onnx/wasmUpdate.ts, draws the same values four at a time:
  // change both or neither; test/main/training/engines/onnx/wasmDropout.test.ts compares them)
  const out = new Float32Array(rows * width)
  if (rate <= 0) return out.fill(1)
  const keep = 1 - rate
  const scale = 1 / keep
  const rand = mulberry32(seedFrom(seed, 'dropout'))
  for (let i = 0; i < out.length; i++) out[i] = rand() < keep ? scale : 0
  return out
}

/** What a native version of dropoutMask needs to draw the same values: mulberry32's starting
 * state, and the keep rule as an integer. mulberry32's k-th draw (from 1) is a function of
 * state + k * 0x6d2b79f5 alone, and `r / 2^32 < keep` holds exactly when the 32-bit integer r is
 * below ceil(keep * 2^32) (both sides scaled by a power of two, so nothing rounds). */
export function dropoutDraw(rate: number, seed: number): { state: number; keepBelow: number; scale: number } {
  const keep = 1 - rate
  return { state: seedFrom(seed, 'dropout') >>> 0, keepBelow: Math.ceil(keep * 4294967296), scale: Math.fround(1 / keep) }
}
