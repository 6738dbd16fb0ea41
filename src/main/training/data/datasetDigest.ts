import { createHash } from 'node:crypto'
import type { LabelledSet } from './labelledSet'

/** A digest of what a run learnt from: every image's content hash with its label and split, in
 * a fixed order. Two runs with the same digest saw the same data, whatever the import order. */
export function datasetDigest(set: LabelledSet): string {
  const lines = [
    ...set.train.map((img) => `train\t${img.hash}\t${set.classes[img.label]}`),
    ...set.valid.map((img) => `valid\t${img.hash}\t${set.classes[img.label]}`)
  ].sort()
  return createHash('sha256').update(lines.join('\n')).digest('hex')
}
