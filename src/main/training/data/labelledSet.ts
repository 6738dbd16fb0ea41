import type { Db } from '../../store/db'
import type { Split } from '../../../shared/types'

export interface LabelledImage {
  id: number
  hash: string
  path: string
  label: number
}

export interface LabelledSet {
  classes: string[]
  train: LabelledImage[]
  valid: LabelledImage[]
  /** training images per class, for class weights */
  counts: number[]
}

/** The usable labelled images of a project, by split (excluded images left out). Classes are those with at least one
 * training image, in the project's order; validation images of other classes are left out.
 * Images are ordered by content, not by id: an import writes rows in the order its decodes
 * finish, and a run must be the same function of its seed in every project of the same images. */
export function labelledSet(db: Db): LabelledSet {
  const rows = db
    .prepare(
      `SELECT i.id, i.hash, i.path, i.split, c.name AS className FROM images i JOIN classes c ON c.id = i.class_id
       WHERE i.status = 'ok' AND i.excluded = 0 AND i.hash IS NOT NULL ORDER BY c.position, c.id, i.hash, i.id`
    )
    .all() as { id: number; hash: string; path: string; split: Split; className: string }[]
  const classes = [...new Set(rows.filter((r) => r.split === 'train').map((r) => r.className))]
  const index = new Map(classes.map((c, i) => [c, i]))
  const set: LabelledSet = { classes, train: [], valid: [], counts: classes.map(() => 0) }
  for (const r of rows) {
    const label = index.get(r.className)
    if (label === undefined || r.split === 'test') continue
    const item = { id: r.id, hash: r.hash, path: r.path, label }
    if (r.split === 'train') {
      set.train.push(item)
      set.counts[label]!++
    } else set.valid.push(item)
  }
  return set
}

/** Why a set cannot be trained on, or null. */
export function trainingProblem(set: LabelledSet): string | null {
  if (set.classes.length < 2) {
    return `training needs at least two classes with training images; this project has ${set.classes.length === 0 ? 'none' : `only "${set.classes[0]}"`}`
  }
  if (set.valid.length === 0) return 'training needs validation images: move some images to the valid split (or re-import with --valid-pct)'
  return null
}
