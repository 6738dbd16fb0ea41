import { describe, expect, it } from 'vitest'
import { datasetInfo } from '../../../src/main/export/datasetInfo'
import { suspectItems } from '../../../src/main/quality/suspects'
import { listClasses } from '../../../src/main/store/classes'
import { imageDetail, queryImages } from '../../../src/main/store/images'
import * as labels from '../../../src/main/store/labels'
import { projectStatus } from '../../../src/main/store/status'
import { labelledSet } from '../../../src/main/training/data/labelledSet'
import { projectWith } from '../../helpers/project'

describe('excluding images', () => {
  const setup = () =>
    projectWith([
      { name: 'a.jpg', className: 'ants', split: 'train' },
      { name: 'b.jpg', className: 'ants', split: 'train' },
      { name: 'c.jpg', className: 'bees', split: 'train' },
      { name: 'd.jpg', className: 'bees', split: 'valid' },
      { name: 'e.jpg', className: 'ants', split: 'valid', hash: 'f'.repeat(64) },
      { name: 'f.jpg', className: 'bees', split: 'train', hash: 'f'.repeat(64) }
    ])

  it('leaves excluded images out of every count, training and validation, and says how many', () => {
    const { project, ids } = setup()
    const db = project.db
    expect(projectStatus(db)).toMatchObject({ images: 6, splits: { train: 4, valid: 2, test: 0 }, warnings: 2, excluded: 0 })
    expect(labels.setExcluded(db, [ids[0]!, ids[3]!, ids[4]!], true)).toEqual({ changed: 3 })

    const status = projectStatus(db)
    expect(status).toMatchObject({ images: 3, splits: { train: 3, valid: 0, test: 0 }, classes: { ants: 1, bees: 2 }, excluded: 3 })
    // one copy of the same bytes excluded: the duplicate warning is gone
    expect(status.warnings).toBe(0)
    const [ants, bees] = listClasses(db)
    expect(ants!.counts).toEqual({ train: 1, valid: 0, test: 0, total: 1, excluded: 2 })
    expect(bees!.counts).toEqual({ train: 2, valid: 0, test: 0, total: 2, excluded: 1 })

    const set = labelledSet(db)
    expect([...set.train, ...set.valid].map((i) => i.id).sort()).toEqual([ids[1]!, ids[2]!, ids[5]!].sort())
    expect(set.counts).toEqual([1, 2])
    expect(suspectItems(db).items.map((i) => i.id).sort()).toEqual([ids[1]!, ids[2]!, ids[5]!].sort())
    expect(datasetInfo(db).images).toEqual({ train: 3, valid: 0, test: 0 })

    // the grid still shows them, marked, and can list only them
    const page = queryImages(db, {}, 0, 100)
    expect(page.total).toBe(6)
    expect(page.items.filter((i) => i.excluded).map((i) => i.id)).toEqual([ids[0]!, ids[3]!, ids[4]!])
    expect(queryImages(db, { status: 'excluded' }, 0, 100).items.map((i) => i.id)).toEqual([ids[0]!, ids[3]!, ids[4]!])
    expect(queryImages(db, { status: 'ok' }, 0, 100).total).toBe(3)
    // the label is kept
    expect(imageDetail(db, ids[0]!).classId).toBe(ants!.id)
  })

  it('is undoable, and including again is a change of its own', () => {
    const { project, ids } = setup()
    const db = project.db
    labels.setExcluded(db, [ids[0]!, ids[1]!], true)
    expect(labels.setExcluded(db, [ids[0]!, ids[1]!], true)).toEqual({ changed: 0 })
    expect(labels.setExcluded(db, [ids[1]!], false)).toEqual({ changed: 1 })
    expect(projectStatus(db).excluded).toBe(1)
    expect(labels.undo(db).undone).toBe('include 1 image')
    expect(projectStatus(db).excluded).toBe(2)
    expect(labels.undo(db).undone).toBe('exclude 2 images')
    expect(projectStatus(db)).toMatchObject({ excluded: 0, images: 6, warnings: 2 })
  })

  it('refuses unknown images and changes nothing', () => {
    const { project, ids } = setup()
    expect(() => labels.setExcluded(project.db, [ids[0]!, 4242], true)).toThrow(/no image with id 4242/)
    expect(projectStatus(project.db).excluded).toBe(0)
    expect(labels.undoCount(project.db)).toBe(0)
  })
})
