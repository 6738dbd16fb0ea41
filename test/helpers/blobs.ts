// Cached features for the fit-loop and head-engine tests: gaussian (or uniform) blobs around one
// centre per class, seeded, so every test that needs "features a head can learn" draws them the
// same way and says only how its blobs differ.
import { ActivationData } from '../../src/main/training/data/activationData'
import { mulberry32 } from '../../src/main/util/random'

export interface Blobs {
  /** items, labels 0, 1, ... in turn */
  n: number
  /** features per row */
  dim: number
  classes?: number
  /** rows per training item (noisy copies, as test-time views are) */
  views?: number
  seed?: number
  /** a centre's coordinate on its class's dimensions (d % classes === label) and on the others */
  on?: number
  off?: number
  /** noise added to each coordinate */
  noise?: { gauss: number } | { uniform: number }
  /** every k-th item is a validation item (the first view); 0: none */
  validEvery?: number
}

export function blobs(o: Blobs): ActivationData {
  const { n, dim, classes = 2, views = 1, seed = 1, on = 1, off = -0.5, noise = { gauss: 1 }, validEvery = 4 } = o
  const rand = mulberry32(seed)
  const gauss = (): number => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand())
  const draw = 'gauss' in noise ? () => noise.gauss * gauss() : () => noise.uniform * (rand() - 0.5)
  const rows: number[] = []
  const train: { label: number; rows: number[] }[] = []
  const valid: { label: number; row: number }[] = []
  for (let i = 0; i < n; i++) {
    const label = i % classes
    const ids: number[] = []
    for (let v = 0; v < views; v++) {
      ids.push(rows.length / dim)
      for (let d = 0; d < dim; d++) rows.push((d % classes === label ? on : off) + draw())
    }
    if (validEvery > 0 && i % validEvery === validEvery - 1) valid.push({ label, row: ids[0]! })
    else train.push({ label, rows: ids })
  }
  return new ActivationData([dim], Float32Array.from(rows), train, valid)
}
