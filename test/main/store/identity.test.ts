// Only init creates a project; open refuses what is not one and writes nothing before it is
// sure (issue #12 item 7); leftover temporaries are cleaned on open (item 8); a damaged file is
// said so before any job (item 6).
import Database from 'better-sqlite3'
import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { DB_FILE, Project } from '../../../src/main/project/project'
import { THAW_APPLICATION_ID } from '../../../src/main/store/identity'
import { Studio } from '../../../src/main/studio/studio'
import { tempDir } from '../../helpers/tmp'

const THAW = path.resolve(__dirname, '../../../bin/thaw')

/** Every file in a folder with its bytes and mtime: what "changed nothing" means. */
function snapshot(dir: string): Record<string, { bytes: string; mtimeMs: number }> {
  return Object.fromEntries(
    fs.readdirSync(dir).map((n) => {
      const f = path.join(dir, n)
      const st = fs.statSync(f)
      return [n, { bytes: st.isFile() ? fs.readFileSync(f).toString('base64') : 'dir', mtimeMs: st.mtimeMs }]
    })
  )
}

function foreign(dir: string, setup: (db: Database.Database) => void): string {
  fs.mkdirSync(dir, { recursive: true })
  const db = new Database(path.join(dir, DB_FILE))
  setup(db)
  db.close()
  return dir
}

describe('opening a folder whose thaw.sqlite is not a Thaw project', () => {
  const cases: [string, (dir: string) => string, RegExp][] = [
    ['an empty file', (d) => (fs.mkdirSync(d), fs.writeFileSync(path.join(d, DB_FILE), ''), d), /empty database/],
    ['not a database', (d) => (fs.mkdirSync(d), fs.writeFileSync(path.join(d, DB_FILE), 'hello, this is text\n'.repeat(100)), d), /not a SQLite database/],
    ['another app (no id)', (d) => foreign(d, (db) => db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES (\'x\')')), /another application's SQLite database \(tables: notes\)/],
    ['another app (its own id)', (d) => foreign(d, (db) => (db.pragma('application_id = 1234'), db.exec('CREATE TABLE meta (key TEXT)'))), /belongs to another application \(SQLite application id 0x4d2\)/],
    ['a look-alike with an unknown schema version', (d) => foreign(d, (db) => (db.exec('CREATE TABLE meta (k); CREATE TABLE classes (k); CREATE TABLE images (k); CREATE TABLE imports (k); CREATE TABLE undo_actions (k)'), db.pragma('user_version = 99'))), /another application's/]
  ]
  for (const [what, make, message] of cases) {
    it(`${what}: refused, and nothing in the folder changes`, () => {
      const dir = make(path.join(tempDir(), 'p'))
      const before = snapshot(dir)
      expect(() => Project.open(dir)).toThrow(expect.objectContaining({ code: 'NOT_A_PROJECT', message: expect.stringMatching(message) }))
      expect(snapshot(dir)).toEqual(before)
      expect(fs.existsSync(path.join(dir, 'thumbs'))).toBe(false)
    })
  }

  it('`thaw status` on an empty thaw.sqlite and on another app\'s database changes nothing', () => {
    for (const dir of [cases[0]![1](path.join(tempDir(), 'e')), cases[2]![1](path.join(tempDir(), 'f'))]) {
      const before = snapshot(dir)
      const r = spawnSync(process.execPath, [THAW, 'status', dir, '--json'], { encoding: 'utf8', timeout: 60_000 })
      expect(r.status).toBe(1)
      expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'NOT_A_PROJECT' } })
      expect(snapshot(dir)).toEqual(before)
    }
  })
})

describe('Thaw projects', () => {
  it('init stamps the application id', () => {
    const dir = path.join(tempDir(), 'p')
    Project.create(dir).close()
    const db = new Database(path.join(dir, DB_FILE), { readonly: true })
    expect(db.pragma('application_id', { simple: true })).toBe(THAW_APPLICATION_ID)
    db.close()
  })

  it('a project made before the application id existed still opens, and is stamped', () => {
    const dir = path.join(tempDir(), 'p')
    const p = Project.create(dir)
    p.db.prepare("INSERT INTO classes (name, position, created_at) VALUES ('ants', 0, 'now')").run()
    p.db.pragma('application_id = 0')
    p.close()
    const again = Project.open(dir)
    expect(again.db.pragma('application_id', { simple: true })).toBe(THAW_APPLICATION_ID)
    expect(again.db.prepare('SELECT name FROM classes').pluck().all()).toEqual(['ants'])
    again.close()
  })

  it('open removes thumbnail temporaries that dead processes left, not those of live ones', () => {
    const dir = path.join(tempDir(), 'p')
    Project.create(dir).close()
    const sub = path.join(dir, 'thumbs', 'ab')
    fs.mkdirSync(sub, { recursive: true })
    // a pid that surely ran and ended: a child that has exited
    const deadPid = Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }))
    const stale = path.join(sub, `ab12.webp.${deadPid}.0a1b2c3d.tmp`)
    const live = path.join(sub, `ab34.webp.${process.pid}.0a1b2c3d.tmp`)
    const thumb = path.join(sub, 'ab56.webp')
    for (const f of [stale, live, thumb]) fs.writeFileSync(f, 'x')
    Project.open(dir).close()
    expect([stale, live, thumb].map((f) => fs.existsSync(f))).toEqual([false, true, true])
  })

  it('a damaged project says so before any job starts', async () => {
    const dir = path.join(tempDir(), 'p')
    const p = Project.create(dir)
    const insert = p.db.prepare("INSERT INTO undo_actions (description, data, created_at) VALUES ('x', ?, 'now')")
    p.db.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run('y'.repeat(200))
    })()
    p.db.pragma('wal_checkpoint(TRUNCATE)')
    p.close()
    // scribble over a few pages in the middle of the undo table's b-tree
    const file = path.join(dir, DB_FILE)
    const fd = fs.openSync(file, 'r+')
    const size = fs.fstatSync(fd).size
    fs.writeSync(fd, Buffer.alloc(4096 * 4, 0x5a), 0, 4096 * 4, Math.floor(size / 2 / 4096) * 4096)
    fs.closeSync(fd)

    const studio = new Studio({ engineWorkers: 1 })
    const api = studio.api()
    await api.openProject({ path: dir })
    await expect(api.importFolder({ root: tempDir() })).rejects.toMatchObject({ code: 'DAMAGED_PROJECT', message: expect.stringMatching(/is damaged \(SQLite quick_check: .+\); no job was started/) })
    await studio.close()
  })
})
