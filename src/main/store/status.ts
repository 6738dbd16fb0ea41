import type { ProjectStatus, Split } from '../../shared/types'
import type { Db } from './db'

export function projectStatus(db: Db): ProjectStatus {
  // usable and not excluded: what training, validation and metrics see
  const ok = `status = 'ok' AND excluded = 0`
  const count = (sql: string): number => db.prepare(sql).pluck().get() as number
  const classes: Record<string, number> = {}
  const perClass = db
    .prepare(
      `SELECT c.name AS name, count(i.id) AS n FROM classes c
       LEFT JOIN images i ON i.class_id = c.id AND i.${ok} GROUP BY c.id ORDER BY c.position, c.id`
    )
    .all() as { name: string; n: number }[]
  for (const c of perClass) classes[c.name] = c.n
  const splits = { train: 0, valid: 0, test: 0 }
  const perSplit = db.prepare(`SELECT split, count(*) AS n FROM images WHERE ${ok} GROUP BY split`).all() as {
    split: Split
    n: number
  }[]
  for (const s of perSplit) splits[s.split] = s.n
  return {
    images: count(`SELECT count(*) FROM images WHERE ${ok}`),
    unlabelled: count(`SELECT count(*) FROM images WHERE ${ok} AND class_id IS NULL`),
    classes,
    splits,
    problems: count(`SELECT count(*) FROM images WHERE status = 'problem'`),
    warnings: count(`SELECT coalesce(sum(n), 0) FROM hash_counts WHERE n > 1`),
    missing: count(`SELECT count(*) FROM images WHERE status = 'missing'`),
    excluded: count(`SELECT count(*) FROM images WHERE status = 'ok' AND excluded = 1`)
  }
}
