import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ExportError } from '../../../src/main/dataset/errors'
import { exportClassTree, freeName, safeFolderName } from '../../../src/main/dataset/exportTree'
import { scanFolder } from '../../../src/main/dataset/scan'
import { HYMENOPTERA, tempDir } from '../../helpers/tmp'
import { write } from './fixtures'

const counts = (files: { className: string | null; split: string | null }[]): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const f of files) {
    const k = `${f.split ?? '-'}/${f.className ?? '-'}`
    out[k] = (out[k] ?? 0) + 1
  }
  return out
}

describe('exportClassTree', () => {
  it('round-trips the hymenoptera set by split: export then scan gives the same classes and counts', async () => {
    const scan = await scanFolder(HYMENOPTERA)
    const dest = path.join(tempDir('thaw-export-'), 'out')
    const progress: number[] = []
    const result = await exportClassTree(scan.files, dest, { bySplit: true, onProgress: (done) => progress.push(done) })
    expect(result).toEqual({ copied: 398, skipped: [] })
    expect(progress.at(-1)).toBe(398)
    const back = await scanFolder(dest)
    expect(back.layout).toBe('split-folders')
    expect(counts(back.files)).toEqual(counts(scan.files))
    expect(counts(back.files)).toEqual({ 'train/ants': 124, 'train/bees': 121, 'valid/ants': 70, 'valid/bees': 83 })
    // copies, not moves: the originals are still there, byte for byte
    const first = scan.files[0]!
    expect(fs.readFileSync(path.join(dest, 'train', 'ants', path.basename(first.path)))).toEqual(fs.readFileSync(first.path))
    expect(fs.readdirSync(path.dirname(dest))).toEqual(['out']) // no temporary folder left
  })

  it('writes class folders, suffixes clashing names, and skips unlabelled images', async () => {
    const src = tempDir('thaw-export-src-')
    const a = write(path.join(src, 'x/cat.jpg'), 'one')
    const b = write(path.join(src, 'y/cat.jpg'), 'two')
    const c = write(path.join(src, 'z/CAT.jpg'), 'three')
    const u = write(path.join(src, 'loose.jpg'), 'four')
    const dest = path.join(tempDir('thaw-export-'), 'tree')
    const result = await exportClassTree(
      [
        { path: a, className: 'cats', split: 'train' },
        { path: b, className: 'cats', split: 'valid' },
        { path: c, className: 'cats', split: null },
        { path: u, className: null, split: 'train' },
        { path: path.join(src, 'gone.jpg'), className: 'cats', split: 'train' }
      ],
      dest,
      { bySplit: false }
    )
    expect(result.copied).toBe(3)
    expect(result.skipped).toEqual([
      { path: u, reason: 'unlabelled: no class to export it under' },
      { path: path.join(src, 'gone.jpg'), reason: 'cannot copy: it no longer exists' }
    ])
    expect(fs.readdirSync(path.join(dest, 'cats')).sort()).toEqual(['CAT (3).jpg', 'cat (2).jpg', 'cat.jpg'])
    expect(fs.readFileSync(path.join(dest, 'cats', 'cat (2).jpg'), 'utf8')).toBe('two')
  })

  it('skips images without a split when exporting by split', async () => {
    const f = write(path.join(tempDir(), 'a.jpg'), 'x')
    const dest = path.join(tempDir(), 'out')
    const r = await exportClassTree([{ path: f, className: 'a', split: null }, { path: f, className: 'a', split: 'test' }], dest, { bySplit: true })
    expect(r).toEqual({ copied: 1, skipped: [{ path: f, reason: 'no split assigned' }] })
    expect(fs.readdirSync(path.join(dest, 'test', 'a'))).toEqual(['a.jpg'])
  })

  it('accepts an empty destination folder, refuses a non-empty one or a file, and writes nothing then', async () => {
    const f = write(path.join(tempDir(), 'a.jpg'), 'x')
    const items = [{ path: f, className: 'a', split: null }]
    const empty = tempDir('thaw-export-empty-')
    expect((await exportClassTree(items, empty, { bySplit: false })).copied).toBe(1)
    const full = tempDir('thaw-export-full-')
    write(path.join(full, 'keep.txt'), 'precious')
    const err = await exportClassTree(items, full, { bySplit: false }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ExportError)
    expect((err as ExportError).code).toBe('DEST_NOT_EMPTY')
    expect(fs.readdirSync(full)).toEqual(['keep.txt'])
    await expect(exportClassTree(items, f, { bySplit: false })).rejects.toMatchObject({ code: 'DEST_NOT_A_FOLDER' })
  })

  it('leaves nothing behind when cancelled halfway', async () => {
    const src = tempDir('thaw-export-src-')
    const items = Array.from({ length: 20 }, (_, i) => ({ path: write(path.join(src, `${i}.jpg`), 'x'), className: 'a', split: null }))
    const parent = tempDir('thaw-export-')
    const ac = new AbortController()
    const run = exportClassTree(items, path.join(parent, 'out'), { bySplit: false, signal: ac.signal, onProgress: (done) => done === 10 && ac.abort() })
    await expect(run).rejects.toThrow(/abort/i)
    expect(fs.readdirSync(parent)).toEqual([])
  })

  it('makes safe, unique folder and file names', () => {
    expect(['a/b', 'x:y?', '..', '.hidden', 'con', 'ok name'].map(safeFolderName)).toEqual(['a_b', 'x_y_', '_', '_hidden', '_con', 'ok name'])
    expect(freeName('a.jpg', new Set(['a.jpg', 'a (2).jpg']))).toBe('a (3).jpg')
    expect(freeName('README', new Set(['readme']))).toBe('README (2)')
  })
})
