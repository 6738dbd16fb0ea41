// The import's split is a pure function of the usable files (issue #12 item 8, issue #9 §8),
// the same after a killed and resumed import as after an unbroken one; the report's problems are
// the library's problems.
import Database from 'better-sqlite3'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { validCount } from '../../../src/main/dataset/split'
import { Studio } from '../../../src/main/studio/studio'
import { HYMENOPTERA, tempDir } from '../../helpers/tmp'
import { noisyJpeg, write } from '../dataset/fixtures'

const ROOT = path.resolve(__dirname, '../../..')
const THAW = path.join(ROOT, 'bin/thaw')

/** root/<class>/ with `n` hymenoptera images per class (links, read in place). */
function classFolders(n: number): string {
  const root = tempDir('thaw-split-')
  for (const cls of ['ants', 'bees']) {
    fs.mkdirSync(path.join(root, cls))
    const files = ['train', 'val'].flatMap((s) => fs.readdirSync(path.join(HYMENOPTERA, s, cls)).sort().map((f) => path.join(HYMENOPTERA, s, cls, f)))
    for (const f of files.slice(0, n)) fs.symlinkSync(f, path.join(root, cls, path.basename(f)))
  }
  return root
}

async function importInto(dir: string, root: string, create: boolean): Promise<void> {
  const studio = new Studio({ engineWorkers: 1 })
  const api = studio.api()
  if (create) await api.createProject({ path: dir })
  else await api.openProject({ path: dir })
  await api.importFolder({ root, validPct: 0.25, seed: 7 })
  await studio.close()
}

function splits(dir: string): Record<string, string> {
  const db = new Database(path.join(dir, 'thaw.sqlite'), { readonly: true })
  const rows = db.prepare("SELECT rel_path, split FROM images WHERE status = 'ok' ORDER BY rel_path").all() as { rel_path: string; split: string }[]
  db.close()
  return Object.fromEntries(rows.map((r) => [r.rel_path, r.split]))
}

function rowCount(dir: string): number {
  try {
    const db = new Database(path.join(dir, 'thaw.sqlite'), { readonly: true, fileMustExist: true })
    try {
      return db.prepare('SELECT count(*) FROM images').pluck().get() as number
    } finally {
      db.close()
    }
  } catch {
    return 0
  }
}

/** `thaw import` in a child process, SIGKILLed once the project has at least `rows` images. */
async function killedImport(dir: string, root: string, rows: number): Promise<number> {
  const child = spawn(process.execPath, [THAW, 'import', dir, root, '--valid-pct', '0.25', '--seed', '7'], { stdio: 'ignore' })
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  let done = false
  void exited.then(() => (done = true))
  while (!done && rowCount(dir) < rows) await new Promise((r) => setTimeout(r, 20))
  child.kill('SIGKILL')
  await exited
  return rowCount(dir)
}

describe('the validation split', () => {
  it('after an import killed at a few moments and resumed equals the unbroken one', async () => {
    const root = classFolders(70)
    const whole = path.join(tempDir(), 'whole')
    await importInto(whole, root, true)
    const expected = splits(whole)
    expect(Object.keys(expected)).toHaveLength(140)
    expect(Object.values(expected).filter((s) => s === 'valid')).toHaveLength(2 * validCount(70, 0.25))

    const seen: number[] = []
    for (const at of [1, 60, 120]) {
      const dir = path.join(tempDir(), `killed-${at}`)
      await importInto(dir, tempDir(), true) // an empty folder first: the project exists, the import is the child's
        .catch(() => undefined)
      seen.push(await killedImport(dir, root, at))
      await importInto(dir, root, false)
      expect(splits(dir)).toEqual(expected)
    }
    // the kills did land midway (each left a partial import behind)
    expect(seen.some((n) => n > 0 && n < 140)).toBe(true)
  }, 300_000)

  it('gives slots to usable images only, and warns about classes with few validation images', async () => {
    const root = tempDir('thaw-usable-')
    for (let i = 0; i < 3; i++) write(path.join(root, 'few', `good${i}.jpg`), await noisyJpeg(64, 48, i + 1))
    for (let i = 0; i < 6; i++) write(path.join(root, 'few', `bad${i}.jpg`), 'this is not a jpeg')
    for (let i = 0; i < 20; i++) write(path.join(root, 'many', `m${i}.jpg`), await noisyJpeg(64, 48, 100 + i))
    const studio = new Studio({ engineWorkers: 1 })
    const api = studio.api()
    await api.createProject({ path: path.join(tempDir(), 'p') })
    const r = await api.importFolder({ root, validPct: 0.3, seed: 5 })
    const few = (await api.listClasses({})).find((c) => c.name === 'few')!
    const page = await api.queryImages({ filter: { classId: few.id, status: 'ok' }, offset: 0, limit: 100 })
    // 3 usable images at 30%: one validation image, wherever the six broken files are drawn
    expect(page.items.filter((i) => i.split === 'valid')).toHaveLength(validCount(3, 0.3))
    expect(r.warnings).toContainEqual({ path: path.join(fs.realpathSync(root), 'few'), reason: 'class "few" has only 1 validation image: its accuracy is measured on too few to trust' })
    expect(r.warnings.some((w) => w.reason.includes('"many"'))).toBe(validCount(20, 0.3) < 5)
    await studio.close()
  })
})

describe('the import report and the library agree', () => {
  it('the report\'s problems are exactly the problem filter\'s files; what was never imported is listed as skipped', async () => {
    const root = tempDir('thaw-truth-')
    write(path.join(root, 'ants', 'a.jpg'), await noisyJpeg(64, 48, 1))
    write(path.join(root, 'ants', 'b.jpg'), await noisyJpeg(64, 48, 2))
    write(path.join(root, 'ants', 'broken.jpg'), 'not a jpeg at all')
    write(path.join(root, 'SOURCE.md'), '# where these came from')
    write(path.join(root, 'ants', 'notes.txt'), 'notes')
    const studio = new Studio({ engineWorkers: 1 })
    const api = studio.api()
    await api.createProject({ path: path.join(tempDir(), 'p') })
    const r = await api.importFolder({ root, validPct: 0.2, seed: 1 })
    const shown = await api.queryImages({ filter: { status: 'problem' }, offset: 0, limit: 100 })
    const real = fs.realpathSync(root)
    const shownPaths = await Promise.all(shown.items.map(async (i) => (await api.imageDetail({ id: i.id })).path))
    expect(r.problems.map((p) => p.path).sort()).toEqual(shownPaths.sort())
    expect(r.problems.map((p) => p.reason)).toEqual(shown.items.map((i) => i.reason))
    expect(r.problems.map((p) => p.path)).toEqual([path.join(real, 'ants', 'broken.jpg')])
    expect(r.skipped.map((s) => path.relative(real, s.path)).sort()).toEqual(['SOURCE.md', 'ants/notes.txt'])
    expect((await api.projectStatus({})).problems).toBe(r.problems.length)
    await studio.close()
  })
})
