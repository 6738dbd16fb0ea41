import Database from 'better-sqlite3'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../../src/main/store/db'
import { migrate, SCHEMA_VERSION, type Migration } from '../../../src/main/store/migrations'
import { tempDir } from '../../helpers/tmp'

describe('migrations', () => {
  it('creates the schema in WAL mode with its version', () => {
    const db = openDatabase(path.join(tempDir(), 'a.sqlite'), { create: true })
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    db.close()
  })

  it('brings an older database up to date and keeps its data', () => {
    const db = new Database(':memory:')
    const steps: Migration[] = [
      { version: 1, description: 'a', up: (d) => d.exec('CREATE TABLE t (x INTEGER)') },
      { version: 2, description: 'b', up: (d) => d.exec('ALTER TABLE t ADD COLUMN y TEXT') }
    ]
    migrate(db, steps.slice(0, 1))
    db.prepare('INSERT INTO t (x) VALUES (7)').run()
    expect(migrate(db, steps)).toEqual({ from: 1, to: 2 })
    expect(db.prepare('SELECT x, y FROM t').get()).toEqual({ x: 7, y: null })
    expect(migrate(db, steps)).toEqual({ from: 2, to: 2 })
  })

  it('rolls back a failing step and leaves the version where it was', () => {
    const db = new Database(':memory:')
    const steps: Migration[] = [
      { version: 1, description: 'a', up: (d) => d.exec('CREATE TABLE t (x INTEGER)') },
      {
        version: 2,
        description: 'broken',
        up: (d) => {
          d.exec('CREATE TABLE u (y INTEGER)')
          throw new Error('boom')
        }
      }
    ]
    expect(() => migrate(db, steps)).toThrow('boom')
    expect(db.pragma('user_version', { simple: true })).toBe(1)
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'u'").get()).toBeUndefined()
  })

  it('refuses a project written by a newer studio', () => {
    const db = new Database(':memory:')
    db.pragma('user_version = 99')
    expect(() => migrate(db)).toThrow(/newer Thaw Studio/)
  })
})
