import { describe, expect, it } from 'vitest'
import { checkUploadPath, planUpload } from '../../src/shared/upload'

const dropped = (...paths: string[]) => paths.map((p) => ({ path: p, file: p }))
const targets = (paths: string[], cls: string | null = null) => planUpload(dropped(...paths), cls).items.map((i) => i.target)

describe('checkUploadPath', () => {
  it('accepts class/file and split/class/file', () => {
    expect(checkUploadPath('ants/a.jpg')).toEqual({ ok: true, segments: ['ants', 'a.jpg'] })
    expect(checkUploadPath('train/ants/a.jpg')).toEqual({ ok: true, segments: ['train', 'ants', 'a.jpg'] })
    expect(checkUploadPath('a.jpg')).toEqual({ ok: true, segments: ['a.jpg'] })
  })
  it.each([
    ['../a.jpg', '".." cannot be a folder name'],
    ['ants/../../etc/passwd', '".." cannot be a folder name'],
    ['./a.jpg', '"." cannot be a folder name'],
    ['/etc/passwd', 'absolute path'],
    ['C:/x/a.jpg', 'absolute path'],
    ['ants//a.jpg', 'empty folder name'],
    ['ants\\..\\a.jpg', 'contains / or \\'],
    ['ants/.hidden.jpg', 'starts with a dot'],
    ['a/b/c/d/e.jpg', 'nested deeper'],
    ['', 'no file name'],
    ['a\0.jpg', 'NUL']
  ])('refuses %j (%s)', (rel, why) => {
    const r = checkUploadPath(rel)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.reason).toContain(why)
  })
})

describe('planUpload', () => {
  it('a dropped folder of pictures is a class', () => {
    const plan = planUpload(dropped('ants/a.jpg', 'ants/b.jpg'), null)
    expect(plan.items.map((i) => i.target)).toEqual(['ants/a.jpg', 'ants/b.jpg'])
    expect(plan.classes).toEqual(['ants'])
    expect(plan.unlabelled).toBe(0)
  })
  it('a dropped data set keeps its class or split/class folders and drops its own name', () => {
    expect(targets(['hym/ants/a.jpg', 'hym/bees/b.jpg'])).toEqual(['ants/a.jpg', 'bees/b.jpg'])
    expect(targets(['hym/train/ants/a.jpg', 'hym/val/bees/b.jpg'])).toEqual(['train/ants/a.jpg', 'val/bees/b.jpg'])
    expect(planUpload(dropped('hym/train/ants/a.jpg', 'hym/val/bees/b.jpg'), null).classes).toEqual(['ants', 'bees'])
  })
  it('a dropped split folder is kept as a split', () => {
    expect(targets(['train/ants/a.jpg', 'train/bees/b.jpg'])).toEqual(['train/ants/a.jpg', 'train/bees/b.jpg'])
  })
  it('loose files go into the chosen class, or stay unlabelled', () => {
    expect(targets(['a.jpg', 'b.png'], 'wasps')).toEqual(['wasps/a.jpg', 'wasps/b.png'])
    const plan = planUpload(dropped('a.jpg'), null)
    expect(plan.items.map((i) => i.target)).toEqual(['a.jpg'])
    expect(plan.unlabelled).toBe(1)
    // pictures lying beside the class folders of a data set are loose too
    expect(targets(['hym/x.jpg', 'hym/ants/a.jpg'], 'misc')).toEqual(['misc/x.jpg', 'ants/a.jpg'])
  })
  it('deeper folders are flattened into the class, their names joined so nothing collides', () => {
    expect(targets(['hym/ants/day1/a.jpg', 'hym/ants/day2/a.jpg'])).toEqual(['ants/day1_a.jpg', 'ants/day2_a.jpg'])
    expect(targets(['hym/train/ants/day1/a.jpg'])).toEqual(['train/ants/day1_a.jpg'])
  })
  it('names that cannot be stored are skipped with the reason', () => {
    const plan = planUpload(dropped('ants/.DS_Store', 'ants/a.jpg'), null)
    expect(plan.items.map((i) => i.target)).toEqual(['ants/a.jpg'])
    expect(plan.skipped).toEqual([{ path: 'ants/.DS_Store', reason: expect.stringContaining('starts with a dot') }])
  })
})
