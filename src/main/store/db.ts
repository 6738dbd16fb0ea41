import Database from 'better-sqlite3'
import { migrate } from './migrations'

export type Db = Database.Database

/** Opens (or creates) a project database: WAL so a killed process leaves a consistent file and
 * readers never block the writer, foreign keys on, and migrations brought up to date. */
export function openDatabase(file: string, opts: { create: boolean }): Db {
  const db = new Database(file, { fileMustExist: !opts.create })
  try {
    // before the first table: deleted models and caches give their pages back to the file system
    // (PRAGMA incremental_vacuum); a no-op on a file that already has tables
    if (opts.create) db.pragma('auto_vacuum = INCREMENTAL')
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    db.pragma('busy_timeout = 5000')
    migrate(db)
    return db
  } catch (err) {
    db.close()
    throw err
  }
}

export const nowIso = (): string => new Date().toISOString()
