import type { ClassInfo } from '../../shared/types'
import { ThawError } from '../errors'
import { nowIso, type Db } from './db'

interface ClassRow {
  id: number
  name: string
  position: number
}

/** Classes in display order, with usable-image counts per split (excluded images apart). */
export function listClasses(db: Db): ClassInfo[] {
  const rows = db.prepare('SELECT id, name, position FROM classes ORDER BY position, id').all() as ClassRow[]
  const counts = db
    .prepare(
      `SELECT class_id AS classId, split, excluded, count(*) AS n FROM images
       WHERE status = 'ok' AND class_id IS NOT NULL GROUP BY class_id, split, excluded`
    )
    .all() as { classId: number; split: 'train' | 'valid' | 'test'; excluded: number; n: number }[]
  const byClass = new Map<number, ClassInfo['counts']>()
  for (const r of rows) byClass.set(r.id, { train: 0, valid: 0, test: 0, total: 0, excluded: 0 })
  for (const c of counts) {
    const k = byClass.get(c.classId)
    if (!k) continue
    // excluded images are counted apart: the split counts are what training and validation use
    if (c.excluded) {
      k.excluded += c.n
      continue
    }
    k[c.split] += c.n
    k.total += c.n
  }
  return rows.map((r) => ({ ...r, counts: byClass.get(r.id)! }))
}

export function getClass(db: Db, id: number): ClassInfo {
  const found = listClasses(db).find((c) => c.id === id)
  if (!found) throw new ThawError('NO_SUCH_CLASS', `there is no class with id ${id}`)
  return found
}

export function findClassByName(db: Db, name: string): ClassRow | undefined {
  return db.prepare('SELECT id, name, position FROM classes WHERE name = ?').get(name) as ClassRow | undefined
}

/** Creates the class if needed; returns its id. Used by import, where folder names are classes. */
export function ensureClass(db: Db, name: string): number {
  const found = findClassByName(db, name)
  if (found) return found.id
  return insertClass(db, name)
}

export function insertClass(db: Db, name: string, opts: { id?: number; position?: number } = {}): number {
  if (findClassByName(db, name)) throw new ThawError('CLASS_EXISTS', `a class named "${name}" already exists`)
  const position =
    opts.position ?? ((db.prepare('SELECT coalesce(max(position), -1) + 1 AS p FROM classes').get() as { p: number }).p)
  const info = db
    .prepare('INSERT INTO classes (id, name, position, created_at) VALUES (?, ?, ?, ?)')
    .run(opts.id ?? null, name, position, nowIso())
  return Number(info.lastInsertRowid)
}

export function classRow(db: Db, id: number): ClassRow {
  const row = db.prepare('SELECT id, name, position FROM classes WHERE id = ?').get(id) as ClassRow | undefined
  if (!row) throw new ThawError('NO_SUCH_CLASS', `there is no class with id ${id}`)
  return row
}
