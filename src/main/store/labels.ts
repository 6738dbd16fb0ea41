import type { ClassInfo, Split, UndoResult } from '../../shared/types'
import { ThawError } from '../errors'
import { classRow, findClassByName, getClass, insertClass } from './classes'
import { nowIso, type Db } from './db'
import { requireImages } from './images'

// Every label action runs in one transaction together with the record that undoes it, so a
// killed process can never keep a change without its undo entry, or the reverse.

type UndoData =
  | { kind: 'label'; changes: [id: number, classId: number | null][] }
  | { kind: 'split'; changes: [id: number, split: Split][] }
  | { kind: 'exclude'; changes: [id: number, excluded: 0 | 1][] }
  | { kind: 'addClass'; classId: number }
  | { kind: 'renameClass'; classId: number; name: string }
  | { kind: 'mergeClasses'; from: { id: number; name: string; position: number }; into: number; moved: number[] }
  | { kind: 'deleteClass'; cls: { id: number; name: string; position: number }; unlabelled: number[] }

const UNDO_DEPTH = 200

function record(db: Db, description: string, data: UndoData): void {
  db.prepare('INSERT INTO undo_actions (description, data, created_at) VALUES (?, ?, ?)').run(
    description,
    JSON.stringify(data),
    nowIso()
  )
  db.prepare('DELETE FROM undo_actions WHERE id <= (SELECT max(id) FROM undo_actions) - ?').run(UNDO_DEPTH)
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`

export function setLabel(db: Db, ids: number[], classId: number | null): { changed: number } {
  return db.transaction(() => {
    const target = classId === null ? null : classRow(db, classId)
    const existing = requireImages(db, ids)
    const get = db.prepare('SELECT class_id FROM images WHERE id = ?').pluck()
    const changes: [number, number | null][] = []
    for (const id of existing) {
      const prev = get.get(id) as number | null
      if (prev !== classId) changes.push([id, prev])
    }
    if (changes.length === 0) return { changed: 0 }
    const set = db.prepare('UPDATE images SET class_id = ?, updated_at = ? WHERE id = ?')
    const now = nowIso()
    for (const [id] of changes) set.run(classId, now, id)
    record(db, `label ${plural(changes.length, 'image')} ${target ? `"${target.name}"` : 'unlabelled'}`, {
      kind: 'label',
      changes
    })
    return { changed: changes.length }
  })()
}

/** Several images, each to its own class (accepting a model's predictions): one change, one undo
 * entry that puts every label back. */
export function setLabels(db: Db, labels: [id: number, classId: number][], what = 'label'): { changed: number } {
  return db.transaction(() => {
    const existing = new Set(requireImages(db, labels.map(([id]) => id)))
    const get = db.prepare('SELECT class_id FROM images WHERE id = ?').pluck()
    const changes: [number, number | null][] = []
    const next = new Map<number, number>()
    for (const [id, classId] of labels) {
      if (!existing.has(id) || next.has(id)) continue
      classRow(db, classId)
      const prev = get.get(id) as number | null
      if (prev !== classId) {
        changes.push([id, prev])
        next.set(id, classId)
      }
    }
    if (changes.length === 0) return { changed: 0 }
    const set = db.prepare('UPDATE images SET class_id = ?, updated_at = ? WHERE id = ?')
    const now = nowIso()
    for (const [id] of changes) set.run(next.get(id)!, now, id)
    record(db, `${what} ${plural(changes.length, 'image')}`, { kind: 'label', changes })
    return { changed: changes.length }
  })()
}

export function setSplit(db: Db, ids: number[], split: Split): { changed: number } {
  return db.transaction(() => {
    const existing = requireImages(db, ids)
    const get = db.prepare('SELECT split FROM images WHERE id = ?').pluck()
    const changes: [number, Split][] = []
    for (const id of existing) {
      const prev = get.get(id) as Split
      if (prev !== split) changes.push([id, prev])
    }
    if (changes.length === 0) return { changed: 0 }
    const set = db.prepare('UPDATE images SET split = ?, updated_at = ? WHERE id = ?')
    const now = nowIso()
    for (const [id] of changes) set.run(split, now, id)
    record(db, `move ${plural(changes.length, 'image')} to ${split}`, { kind: 'split', changes })
    return { changed: changes.length }
  })()
}

/** Excludes images from training, validation and metrics (or brings them back); the files and
 * their labels stay. Undoable like a label change. */
export function setExcluded(db: Db, ids: number[], excluded: boolean): { changed: number } {
  return db.transaction(() => {
    const existing = requireImages(db, ids)
    const get = db.prepare('SELECT excluded FROM images WHERE id = ?').pluck()
    const want = excluded ? 1 : 0
    const changes: [number, 0 | 1][] = []
    for (const id of existing) {
      const prev = get.get(id) as 0 | 1
      if (prev !== want) changes.push([id, prev])
    }
    if (changes.length === 0) return { changed: 0 }
    const set = db.prepare('UPDATE images SET excluded = ?, updated_at = ? WHERE id = ?')
    const now = nowIso()
    for (const [id] of changes) set.run(want, now, id)
    record(db, `${excluded ? 'exclude' : 'include'} ${plural(changes.length, 'image')}`, { kind: 'exclude', changes })
    return { changed: changes.length }
  })()
}

/** "Keep this label" on a suspected label error: the image is not offered again while it keeps
 * the label it has now (relabelling it makes it a candidate again). */
export function keepLabels(db: Db, ids: number[]): { kept: number } {
  return db.transaction(() => {
    const existing = requireImages(db, ids)
    const get = db.prepare('SELECT class_id FROM images WHERE id = ?').pluck()
    const put = db.prepare('INSERT OR REPLACE INTO label_reviews (image_id, class_id, reviewed_at) VALUES (?, ?, ?)')
    const now = nowIso()
    let kept = 0
    for (const id of existing) {
      const classId = get.get(id) as number | null
      if (classId === null) continue
      put.run(id, classId, now)
      kept++
    }
    return { kept }
  })()
}

export function addClass(db: Db, name: string): ClassInfo {
  return db.transaction(() => {
    const id = insertClass(db, name)
    record(db, `add class "${name}"`, { kind: 'addClass', classId: id })
    return getClass(db, id)
  })()
}

export function renameClass(db: Db, id: number, name: string): ClassInfo {
  return db.transaction(() => {
    const cls = classRow(db, id)
    if (cls.name === name) return getClass(db, id)
    const clash = findClassByName(db, name)
    if (clash) throw new ThawError('CLASS_EXISTS', `a class named "${name}" already exists; merge into it instead`)
    db.prepare('UPDATE classes SET name = ? WHERE id = ?').run(name, id)
    record(db, `rename class "${cls.name}" to "${name}"`, { kind: 'renameClass', classId: id, name: cls.name })
    return getClass(db, id)
  })()
}

export function mergeClasses(db: Db, fromId: number, intoId: number): ClassInfo {
  if (fromId === intoId) throw new ThawError('BAD_MERGE', 'cannot merge a class into itself')
  return db.transaction(() => {
    const from = classRow(db, fromId)
    const into = classRow(db, intoId)
    const moved = db.prepare('SELECT id FROM images WHERE class_id = ? ORDER BY id').pluck().all(fromId) as number[]
    db.prepare('UPDATE images SET class_id = ?, updated_at = ? WHERE class_id = ?').run(intoId, nowIso(), fromId)
    db.prepare('DELETE FROM classes WHERE id = ?').run(fromId)
    record(db, `merge "${from.name}" into "${into.name}" (${plural(moved.length, 'image')})`, {
      kind: 'mergeClasses',
      from,
      into: intoId,
      moved
    })
    return getClass(db, intoId)
  })()
}

export function deleteClass(db: Db, id: number): { unlabelled: number } {
  return db.transaction(() => {
    const cls = classRow(db, id)
    const ids = db.prepare('SELECT id FROM images WHERE class_id = ? ORDER BY id').pluck().all(id) as number[]
    db.prepare('UPDATE images SET class_id = NULL, updated_at = ? WHERE class_id = ?').run(nowIso(), id)
    db.prepare('DELETE FROM classes WHERE id = ?').run(id)
    record(db, `delete class "${cls.name}" (${plural(ids.length, 'image')} unlabelled)`, {
      kind: 'deleteClass',
      cls,
      unlabelled: ids
    })
    return { unlabelled: ids.length }
  })()
}

export function undoCount(db: Db): number {
  return (db.prepare('SELECT count(*) FROM undo_actions').pluck().get() as number) ?? 0
}

/** Reverts the most recent label action. */
export function undo(db: Db): UndoResult {
  return db.transaction(() => {
    const last = db.prepare('SELECT id, description, data FROM undo_actions ORDER BY id DESC LIMIT 1').get() as
      | { id: number; description: string; data: string }
      | undefined
    if (!last) return { undone: null, remaining: 0 }
    revert(db, JSON.parse(last.data) as UndoData)
    db.prepare('DELETE FROM undo_actions WHERE id = ?').run(last.id)
    return { undone: last.description, remaining: undoCount(db) }
  })()
}

function revert(db: Db, data: UndoData): void {
  const now = nowIso()
  switch (data.kind) {
    case 'label': {
      const set = db.prepare('UPDATE images SET class_id = ?, updated_at = ? WHERE id = ?')
      for (const [id, prev] of data.changes) set.run(prev, now, id)
      return
    }
    case 'split': {
      const set = db.prepare('UPDATE images SET split = ?, updated_at = ? WHERE id = ?')
      for (const [id, prev] of data.changes) set.run(prev, now, id)
      return
    }
    case 'exclude': {
      const set = db.prepare('UPDATE images SET excluded = ?, updated_at = ? WHERE id = ?')
      for (const [id, prev] of data.changes) set.run(prev, now, id)
      return
    }
    case 'addClass':
      db.prepare('DELETE FROM classes WHERE id = ?').run(data.classId)
      return
    case 'renameClass':
      db.prepare('UPDATE classes SET name = ? WHERE id = ?').run(data.name, data.classId)
      return
    case 'mergeClasses': {
      insertClass(db, data.from.name, { id: data.from.id, position: data.from.position })
      const set = db.prepare('UPDATE images SET class_id = ?, updated_at = ? WHERE id = ?')
      for (const id of data.moved) set.run(data.from.id, now, id)
      return
    }
    case 'deleteClass': {
      insertClass(db, data.cls.name, { id: data.cls.id, position: data.cls.position })
      const set = db.prepare('UPDATE images SET class_id = ?, updated_at = ? WHERE id = ?')
      for (const id of data.unlabelled) set.run(data.cls.id, now, id)
      return
    }
  }
}
