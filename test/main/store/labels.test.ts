import { describe, expect, it } from 'vitest'
import { listClasses } from '../../../src/main/store/classes'
import { imageDetail, queryImages } from '../../../src/main/store/images'
import * as labels from '../../../src/main/store/labels'
import { projectStatus } from '../../../src/main/store/status'
import { projectWith } from '../../helpers/project'

const classOf = (db: Parameters<typeof imageDetail>[0], id: number) => imageDetail(db, id).classId

describe('labels', () => {
  it('relabels in bulk, reports only real changes, and undoes', () => {
    const { project, ids } = projectWith([
      { name: 'a.jpg', className: 'ants' },
      { name: 'b.jpg', className: 'ants' },
      { name: 'c.jpg', className: 'bees' }
    ])
    const db = project.db
    const [ants, bees] = listClasses(db)
    expect(labels.setLabel(db, ids, bees!.id)).toEqual({ changed: 2 })
    expect(ids.map((id) => classOf(db, id))).toEqual([bees!.id, bees!.id, bees!.id])
    expect(labels.setLabel(db, [ids[0]!], null)).toEqual({ changed: 1 })
    expect(projectStatus(db).unlabelled).toBe(1)
    expect(labels.undo(db).undone).toMatch(/unlabelled/)
    expect(labels.undo(db).undone).toMatch(/label 2 images "bees"/)
    expect(ids.map((id) => classOf(db, id))).toEqual([ants!.id, ants!.id, bees!.id])
    expect(labels.undo(db)).toEqual({ undone: null, remaining: 0 })
  })

  it('rejects unknown images and classes without changing anything', () => {
    const { project, ids } = projectWith([{ name: 'a.jpg', className: 'ants' }])
    const db = project.db
    expect(() => labels.setLabel(db, [ids[0]!, 999], null)).toThrow(/no image with id 999/)
    expect(() => labels.setLabel(db, ids, 12345)).toThrow(/no class with id 12345/)
    expect(classOf(db, ids[0]!)).not.toBeNull()
    expect(labels.undoCount(db)).toBe(0)
  })

  it('moves images between splits and back', () => {
    const { project, ids } = projectWith([
      { name: 'a.jpg', className: 'ants', split: 'train' },
      { name: 'b.jpg', className: 'ants', split: 'valid' }
    ])
    const db = project.db
    expect(labels.setSplit(db, ids, 'valid')).toEqual({ changed: 1 })
    expect(projectStatus(db).splits).toEqual({ train: 0, valid: 2, test: 0 })
    labels.undo(db)
    expect(projectStatus(db).splits).toEqual({ train: 1, valid: 1, test: 0 })
  })

  it('adds, renames, merges and deletes classes, each undoable', () => {
    const { project, ids } = projectWith([
      { name: 'a.jpg', className: 'ants' },
      { name: 'b.jpg', className: 'bees' },
      { name: 'c.jpg', className: 'bees' }
    ])
    const db = project.db
    const wasps = labels.addClass(db, 'wasps')
    expect(() => labels.addClass(db, 'wasps')).toThrow(/already exists/)
    const [ants, bees] = listClasses(db)
    expect(() => labels.renameClass(db, ants!.id, 'bees')).toThrow(/merge/)
    labels.renameClass(db, ants!.id, 'formicidae')
    expect(listClasses(db).map((c) => c.name)).toEqual(['formicidae', 'bees', 'wasps'])

    const merged = labels.mergeClasses(db, bees!.id, wasps.id)
    expect(merged.counts.total).toBe(2)
    expect(listClasses(db).map((c) => c.name)).toEqual(['formicidae', 'wasps'])
    expect(labels.deleteClass(db, wasps.id)).toEqual({ unlabelled: 2 })
    expect(projectStatus(db).unlabelled).toBe(2)

    labels.undo(db) // delete
    expect(ids.map((id) => classOf(db, id))).toEqual([ants!.id, wasps.id, wasps.id])
    labels.undo(db) // merge
    expect(ids.map((id) => classOf(db, id))).toEqual([ants!.id, bees!.id, bees!.id])
    expect(listClasses(db).map((c) => c.name)).toEqual(['formicidae', 'bees', 'wasps'])
    labels.undo(db) // rename
    labels.undo(db) // add
    expect(listClasses(db).map((c) => c.name)).toEqual(['ants', 'bees'])
  })

  it('keeps the undo history bounded', () => {
    const { project, ids } = projectWith([{ name: 'a.jpg', className: 'ants' }, { name: 'b.jpg', className: 'bees' }])
    const [ants, bees] = listClasses(project.db)
    for (let i = 0; i < 230; i++) labels.setLabel(project.db, [ids[0]!], i % 2 ? ants!.id : bees!.id)
    expect(labels.undoCount(project.db)).toBe(200)
  })
})

describe('queries', () => {
  const images = [
    { name: 'ants/a.jpg', className: 'ants', split: 'train' as const },
    { name: 'ants/b.jpg', className: 'ants', split: 'valid' as const, hash: 'f'.repeat(64) },
    { name: 'bees/b.jpg', className: 'bees', split: 'train' as const, hash: 'f'.repeat(64) },
    { name: 'loose 100%_x.jpg', className: null },
    { name: 'bad.jpg', className: 'bees', status: 'problem' as const, reason: 'empty file (0 bytes)' }
  ]

  it('filters by class, split, unlabelled, issues and search', () => {
    const { project } = projectWith(images)
    const db = project.db
    const [ants] = listClasses(db)
    const names = (f: Parameters<typeof queryImages>[1]) => queryImages(db, f, 0, 100).items.map((i) => i.name)
    expect(names({ classId: ants!.id })).toEqual(['ants/a.jpg', 'ants/b.jpg'])
    expect(names({ classId: 'unlabelled' })).toEqual(['loose 100%_x.jpg'])
    expect(names({ split: 'valid' })).toEqual(['ants/b.jpg'])
    expect(names({ status: 'problem' })).toEqual(['bad.jpg'])
    expect(names({ status: 'issues' })).toEqual(['ants/b.jpg', 'bees/b.jpg', 'bad.jpg'])
    expect(names({ status: 'ok' })).toHaveLength(4)
    expect(names({ search: '100%_' })).toEqual(['loose 100%_x.jpg'])
    expect(names({ search: '%' })).toEqual(['loose 100%_x.jpg'])
    const page = queryImages(db, {}, 2, 2)
    expect(page.total).toBe(5)
    expect(page.items.map((i) => i.name)).toEqual(['bees/b.jpg', 'loose 100%_x.jpg'])
  })

  it('marks duplicate bytes as warnings, and clears nothing by itself', () => {
    const { project, ids } = projectWith(images)
    const detail = imageDetail(project.db, ids[1]!)
    expect(detail.status).toBe('warning')
    expect(detail.duplicates.map((d) => d.id)).toEqual([ids[2]])
    expect(detail.reason).toMatch(/same bytes as b\.jpg/)
    const status = projectStatus(project.db)
    expect(status).toMatchObject({ images: 4, unlabelled: 1, problems: 1, warnings: 2, classes: { ants: 2, bees: 1 } })
  })

  it('keeps duplicate counts right as files change status, hash or disappear', () => {
    const { project, ids } = projectWith(images)
    const db = project.db
    expect(projectStatus(db).warnings).toBe(2)
    db.prepare("UPDATE images SET status = 'missing' WHERE id = ?").run(ids[2])
    expect(projectStatus(db).warnings).toBe(0)
    expect(imageDetail(db, ids[1]!).status).toBe('ok')
    db.prepare("UPDATE images SET status = 'ok' WHERE id = ?").run(ids[2])
    expect(queryImages(db, { status: 'issues' }, 0, 10).total).toBe(3)
    db.prepare('UPDATE images SET hash = ? WHERE id = ?').run('e'.repeat(64), ids[2])
    expect(projectStatus(db).warnings).toBe(0)
    db.prepare('UPDATE images SET hash = ? WHERE id = ?').run('f'.repeat(64), ids[0])
    expect(projectStatus(db).warnings).toBe(2)
    db.prepare('DELETE FROM images WHERE id = ?').run(ids[0])
    expect(projectStatus(db).warnings).toBe(0)
  })
})
