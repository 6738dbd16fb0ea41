// What the model card says about the data: counts per class and split, and a content hash that
// changes when any image, label or split changes (and only then).
import { createHash } from 'node:crypto'
import type { Db } from '../store/db'
import type { Split } from '../../shared/types'

export const DATASET_HASH_RULE =
  'sha256 over the sorted lines "<image sha256> <class> <split>" (joined by \\n) of every usable labelled image in the project'

export interface DatasetInfo {
  sha256: string
  images: Record<Split, number>
  /** per class name: usable images per split */
  perClass: Map<string, Record<Split, number>>
}

export function datasetInfo(db: Db): DatasetInfo {
  const rows = db
    .prepare(
      `SELECT i.hash AS hash, c.name AS className, i.split AS split FROM images i JOIN classes c ON c.id = i.class_id
       WHERE i.status = 'ok' AND i.excluded = 0 AND i.hash IS NOT NULL`
    )
    .all() as { hash: string; className: string; split: Split }[]
  const lines = rows.map((r) => `${r.hash} ${r.className} ${r.split}`).sort()
  const images: Record<Split, number> = { train: 0, valid: 0, test: 0 }
  const perClass = new Map<string, Record<Split, number>>()
  for (const r of rows) {
    images[r.split]++
    let c = perClass.get(r.className)
    if (!c) perClass.set(r.className, (c = { train: 0, valid: 0, test: 0 }))
    c[r.split]++
  }
  return { sha256: createHash('sha256').update(lines.join('\n')).digest('hex'), images, perClass }
}
