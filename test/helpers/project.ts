import path from 'node:path'
import { Project } from '../../src/main/project/project'
import { ensureClass } from '../../src/main/store/classes'
import { nowIso } from '../../src/main/store/db'
import type { Split } from '../../src/shared/types'
import { tempDir } from './tmp'

export interface FakeImage {
  name: string
  className?: string | null
  split?: Split
  hash?: string
  status?: 'ok' | 'problem' | 'missing'
  reason?: string
}

/** A project whose image rows are inserted directly: for store and label tests that need no files. */
export function projectWith(images: FakeImage[]): { project: Project; ids: number[] } {
  const project = Project.create(path.join(tempDir(), 'p'))
  const insert = project.db.prepare(
    `INSERT INTO images (path, root, rel_path, hash, class_id, split, status, reason, imported_at, updated_at)
     VALUES (?, '/data', ?, ?, ?, ?, ?, ?, ?, ?)`
  )
  const ids = images.map((img, i) => {
    const classId = img.className ? ensureClass(project.db, img.className) : null
    const now = nowIso()
    const hash = img.hash ?? i.toString(16).padStart(64, '0')
    return Number(
      insert.run(`/data/${img.name}`, img.name, hash, classId, img.split ?? 'train', img.status ?? 'ok', img.reason ?? null, now, now)
        .lastInsertRowid
    )
  })
  return { project, ids }
}
