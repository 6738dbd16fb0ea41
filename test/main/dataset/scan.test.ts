import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ImportError } from '../../../src/main/dataset/errors'
import { scanFolder, splitFromFolderName } from '../../../src/main/dataset/scan'
import { HYMENOPTERA, tempDir } from '../../helpers/tmp'
import { write } from './fixtures'

const JPG = 'not decoded by the scan'

function tree(files: string[]): string {
  const root = tempDir('thaw-scan-')
  for (const f of files) write(path.join(root, f), JPG)
  return root
}

const summary = (files: { relPath: string; className: string | null; split: string | null }[]): string[] =>
  files.map((f) => `${f.relPath} ${f.className ?? '-'} ${f.split ?? '-'}`)

describe('scanFolder layouts', () => {
  it('reads root/<class>/<image>, sorted, with files at the root unlabelled', async () => {
    const root = tree(['dogs/b.jpg', 'cats/z.png', 'cats/a.JPG', 'loose.jpg', 'dogs/puppies/p.webp'])
    const scan = await scanFolder(root)
    expect(scan.layout).toBe('class-folders')
    expect(scan.root).toBe(fs.realpathSync(root))
    expect(summary(scan.files)).toEqual([
      'cats/a.JPG cats -',
      'cats/z.png cats -',
      'dogs/b.jpg dogs -',
      // deeper nesting takes the first class-level folder
      'dogs/puppies/p.webp dogs -',
      'loose.jpg - -'
    ])
    expect(scan.files.every((f) => path.isAbsolute(f.path) && f.path === path.join(scan.root, f.relPath))).toBe(true)
    expect(scan.problems).toEqual([])
  })

  it('reads root/<split>/<class>/<image> with every split spelling, case-insensitively', async () => {
    const root = tree([
      'Train/cats/1.jpg',
      'train/dogs/2.jpg',
      'VAL/cats/3.jpg',
      'valid/dogs/4.jpg',
      'validation/dogs/5.jpg',
      'test/cats/6.jpg',
      'test/7.jpg',
      'extra/8.jpg'
    ])
    const scan = await scanFolder(root)
    expect(scan.layout).toBe('split-folders')
    expect(summary(scan.files)).toEqual([
      'Train/cats/1.jpg cats train',
      'VAL/cats/3.jpg cats valid',
      // a non-split top-level folder is a class without a split
      'extra/8.jpg extra -',
      'test/7.jpg - test',
      'test/cats/6.jpg cats test',
      'train/dogs/2.jpg dogs train',
      'valid/dogs/4.jpg dogs valid',
      'validation/dogs/5.jpg dogs valid'
    ])
  })

  it('keeps a class called "test" a class when it holds only images', async () => {
    const scan = await scanFolder(tree(['cats/1.jpg', 'test/2.jpg']))
    expect(scan.layout).toBe('class-folders')
    expect(summary(scan.files)).toEqual(['cats/1.jpg cats -', 'test/2.jpg test -'])
  })

  it('maps split folder names', () => {
    expect(['train', 'TRAIN', 'valid', 'val', 'Validation', 'test', 'tests', 'dev'].map(splitFromFolderName)).toEqual([
      'train', 'train', 'valid', 'valid', 'valid', 'test', null, null
    ])
  })

  it('reads the hymenoptera set in place: 245 train / 153 valid, ants and bees', async () => {
    const scan = await scanFolder(HYMENOPTERA)
    expect(scan.layout).toBe('split-folders')
    const count = (split: string, cls: string): number => scan.files.filter((f) => f.split === split && f.className === cls).length
    expect([count('train', 'ants'), count('train', 'bees'), count('valid', 'ants'), count('valid', 'bees')]).toEqual([124, 121, 70, 83])
    expect(scan.files).toHaveLength(398)
    // SOURCE.md beside the split folders is reported, not imported
    expect(scan.problems).toEqual([{ path: path.join(scan.root, 'SOURCE.md'), reason: 'not an image file (.md)' }])
  })
})

describe('scanFolder odd entries', () => {
  it('skips dotfiles and OS junk silently and reports other non-images', async () => {
    const root = tree([
      'cats/.DS_Store', 'cats/._a.jpg', 'cats/Thumbs.db', 'cats/desktop.ini', '.git/x.jpg', '__MACOSX/cats/a.jpg',
      'cats/a.jpg', 'cats/notes.txt', 'cats/README', 'cats/old.bmp'
    ])
    const scan = await scanFolder(root)
    expect(summary(scan.files)).toEqual(['cats/a.jpg cats -'])
    expect(scan.problems.map((p) => [path.relative(root, p.path), p.reason])).toEqual([
      ['cats/README', 'not an image file (no extension)'],
      ['cats/notes.txt', 'not an image file (.txt)'],
      ['cats/old.bmp', 'unsupported format: BMP (convert to PNG or JPEG to import it)']
    ])
  })

  it('takes unicode and spaces in names as they are, class names in NFC', async () => {
    const nfd = 'cafe\u0301 au lait' // decomposed, as macOS writes it
    const root = tree([`${nfd}/ímage one 🐝.jpg`, 'Über Klasse/a b.png'])
    const scan = await scanFolder(root)
    // code-point order: 'c' before 'Ü'
    expect(scan.files.map((f) => f.className)).toEqual(['caf\u00e9 au lait', 'Über Klasse'])
    expect(scan.files.map((f) => path.basename(f.path))).toEqual(['ímage one 🐝.jpg', 'a b.png'])
    expect(scan.files.every((f) => fs.existsSync(f.path))).toBe(true)
  })

  it('follows symlinks to files and folders, and reports loops and broken links', async () => {
    const root = tree(['cats/a.jpg', 'elsewhere/b.jpg'])
    const outside = tree(['c.jpg'])
    fs.symlinkSync(path.join(outside), path.join(root, 'linked'))
    fs.symlinkSync(path.join(root, 'cats/a.jpg'), path.join(root, 'elsewhere/alias.jpg'))
    fs.symlinkSync(path.join(root, 'cats'), path.join(root, 'cats/loop')) // folder loop
    fs.symlinkSync('self.jpg', path.join(root, 'cats/self.jpg')) // a link to itself
    fs.symlinkSync(path.join(root, 'nowhere.jpg'), path.join(root, 'cats/broken.jpg'))
    fs.symlinkSync(path.join(root, 'cats'), path.join(root, 'cats-again')) // same folder twice
    const scan = await scanFolder(root)
    expect(summary(scan.files)).toEqual(['cats/a.jpg cats -', 'elsewhere/alias.jpg elsewhere -', 'elsewhere/b.jpg elsewhere -', 'linked/c.jpg linked -'])
    const problems = Object.fromEntries(scan.problems.map((p) => [path.relative(root, p.path), p.reason]))
    expect(problems).toEqual({
      'cats-again': "skipped: cats-again is a link to cats, which is imported from there (a link never relabels a folder's images)",
      'cats/broken.jpg': `broken symlink: cats/broken.jpg -> ${path.join(root, 'nowhere.jpg')} (target does not exist)`,
      'cats/loop': 'symlink loop: cats/loop points back to cats, which contains it',
      'cats/self.jpg': 'symlink loop: cats/self.jpg -> self.jpg never reaches a file'
    })
  })

  it('a linked folder never takes images from the class their real folder gives (ants/more -> ../bees)', async () => {
    const root = tree(['ants/a1.jpg', 'bees/b1.jpg', 'bees/b2.jpg', 'cats/c1.jpg', 'train/x.jpg'])
    fs.symlinkSync('../bees', path.join(root, 'ants/more')) // sorted before the real bees folder
    fs.symlinkSync('../ants', path.join(root, 'cats/ants-too')) // sorted after the real ants folder
    const outside = tree(['d1.jpg'])
    fs.symlinkSync(outside, path.join(root, 'dogs')) // a class folder kept elsewhere is imported
    fs.symlinkSync(outside, path.join(root, 'dogs-again'))
    const scan = await scanFolder(root)
    expect(summary(scan.files)).toEqual(['ants/a1.jpg ants -', 'bees/b1.jpg bees -', 'bees/b2.jpg bees -', 'cats/c1.jpg cats -', 'dogs/d1.jpg dogs -', 'train/x.jpg train -'])
    const problems = Object.fromEntries(scan.problems.map((p) => [path.relative(root, p.path), p.reason]))
    expect(problems).toEqual({
      'ants/more': "skipped: ants/more is a link to bees, which is imported from there (a link never relabels a folder's images)",
      'cats/ants-too': "skipped: cats/ants-too is a link to ants, which is imported from there (a link never relabels a folder's images)",
      'dogs-again': "skipped: dogs-again is a link to dogs, which is imported from there (a link never relabels a folder's images)"
    })
  })

  it('reports a link back to the import folder as a loop', async () => {
    const root = tree(['cats/a.jpg'])
    fs.symlinkSync(root, path.join(root, 'cats/up'))
    const scan = await scanFolder(root)
    expect(scan.files).toHaveLength(1)
    expect(scan.problems[0]?.reason).toBe('symlink loop: cats/up points back to the import folder, which contains it')
  })

  it('never opens a FIFO', async () => {
    const root = tree(['cats/a.jpg'])
    const { execFileSync } = await import('node:child_process')
    execFileSync('mkfifo', [path.join(root, 'cats/pipe.jpg')])
    const scan = await scanFolder(root)
    expect(scan.files).toHaveLength(1)
    expect(scan.problems).toEqual([{ path: path.join(scan.root, 'cats/pipe.jpg'), reason: 'not a regular file (device, socket or pipe)' }])
  })

  it('gives the same result whatever the order of creation', async () => {
    const names = ['b/2.jpg', 'a/1.jpg', 'a/10.jpg', 'B/3.jpg', 'a/é.jpg', 'a/e.jpg']
    const one = await scanFolder(tree(names))
    const two = await scanFolder(tree([...names].reverse()))
    expect(one.files.map((f) => f.relPath)).toEqual(two.files.map((f) => f.relPath))
    expect(one.files.map((f) => f.relPath)).toEqual(['B/3.jpg', 'a/1.jpg', 'a/10.jpg', 'a/e.jpg', 'a/é.jpg', 'b/2.jpg'])
  })
})

describe('scanFolder refusals', () => {
  const rejects = async (root: string, code: string, message: RegExp): Promise<void> => {
    const err = await scanFolder(root).then(
      () => null,
      (e: unknown) => e
    )
    expect(err).toBeInstanceOf(ImportError)
    expect((err as ImportError).code).toBe(code)
    expect((err as ImportError).message).toMatch(message)
  }

  it('refuses a missing folder', async () => {
    await rejects(path.join(tempDir(), 'nope'), 'NOT_FOUND', /^folder not found: .*nope$/)
  })

  it('refuses a file', async () => {
    const file = write(path.join(tempDir(), 'a.jpg'), JPG)
    await rejects(file, 'NOT_A_FOLDER', /^not a folder: .*a\.jpg is a file/)
  })

  it('refuses an empty folder, and one holding only junk', async () => {
    await rejects(tempDir(), 'EMPTY', /is empty: there are no files to import$/)
    await rejects(tree(['.DS_Store', 'sub/Thumbs.db']), 'EMPTY', /is empty/)
  })

  it('refuses a folder with files but no images, saying what is there', async () => {
    await rejects(tree(['notes.txt', 'data.csv']), 'NO_IMAGES', /no image files in .* \(2 other files, e\.g\. data\.csv: not an image file \(\.csv\); notes\.txt/)
  })
})
