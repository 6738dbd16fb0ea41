// Dropout masks drawn in plain JavaScript from a seed. tf.dropout draws through tfjs-core's
// seeded randomUniform, which builds every value in JavaScript through seedrandom's generator: 25 ms
// for one 32 x 2560 mask, as long as the rest of a head step. The masks are a function of the
// step's seed either way, so a resumed run draws what an unbroken one would have.
import { mulberry32, seedFrom } from '../util/random'

/** Multipliers for `rows x width` values: 0 with probability `rate`, else 1 / (1 - rate). */
export function dropoutMask(rows: number, width: number, rate: number, seed: number): Float32Array {
  const out = new Float32Array(rows * width)
  if (rate <= 0) return out.fill(1)
  const keep = 1 - rate
  const scale = 1 / keep
  const rand = mulberry32(seedFrom(seed, 'dropout'))
  for (let i = 0; i < out.length; i++) out[i] = rand() < keep ? scale : 0
  return out
}
