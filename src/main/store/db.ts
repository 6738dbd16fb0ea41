import Database from 'better-sqlite3'
import { identify, THAW_APPLICATION_ID } from './identity'
import { migrate } from './migrations'
import { sqliteBinding } from './nativeBinding'

export type Db = Database.Database

/** Opens (or creates) a project database: WAL so a killed process leaves a consistent file and
 * readers never block the writer, foreign keys on, and migrations brought up to date. Opening an
 * existing file writes nothing until it is known to be a Thaw project (identify): a read-only
 * command pointed at another application's database must not change it. */
export function openDatabase(file: string, opts: { create: boolean }): Db {
  const db = new Database(file, { fileMustExist: !opts.create, ...nativeBindingOption() })
  try {
    // connection settings only: none of these writes to the file
    db.pragma('busy_timeout = 5000')
    db.pragma('foreign_keys = ON')
    const earlier = opts.create ? false : identify(db, file).kind === 'earlier-project'
    // before the first table: deleted models and caches give their pages back to the file system
    // (PRAGMA incremental_vacuum); a no-op on a file that already has tables
    if (opts.create) db.pragma('auto_vacuum = INCREMENTAL')
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    migrate(db)
    // new projects, and projects of earlier versions once recognised, carry the application id
    if (opts.create || earlier) db.pragma(`application_id = ${THAW_APPLICATION_ID}`)
    return db
  } catch (err) {
    db.close()
    throw err
  }
}

/** Electron (not packaged) loads the second build of better-sqlite3 (./nativeBinding.ts). */
function nativeBindingOption(): { nativeBinding?: string } {
  const binding = sqliteBinding()
  return binding ? { nativeBinding: binding } : {}
}

export const nowIso = (): string => new Date().toISOString()
