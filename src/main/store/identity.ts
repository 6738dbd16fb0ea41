import type Database from 'better-sqlite3'
import { ThawError } from '../errors'
import { SCHEMA_VERSION } from './migrations'

/** `PRAGMA application_id` of every Thaw project: "Thaw" in ASCII. SQLite keeps it in the file
 * header, so `file(1)` and other tools can tell a project from any other SQLite database. */
export const THAW_APPLICATION_ID = 0x54686177

/** The tables every Thaw schema since the first has had: how a project made before the
 * application id was stamped is recognised. */
const FIRST_SCHEMA_TABLES = ['meta', 'classes', 'images', 'imports', 'undo_actions']

export type Identity = { kind: 'project' } | { kind: 'earlier-project' }

/**
 * Decides, by reading only, whether `db` is a Thaw project. A project stamped with the
 * application id is one; an unstamped database is one only if it has the schema of an earlier
 * Thaw (a schema version it knows and the first schema's tables). Anything else (an empty file,
 * another application's database, not a database at all) is refused: nothing is written to it.
 */
export function identify(db: Database.Database, file: string): Identity {
  let appId: number
  let version: number
  let tables: Set<string>
  try {
    appId = db.pragma('application_id', { simple: true }) as number
    version = db.pragma('user_version', { simple: true }) as number
    tables = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[])
  } catch (err) {
    throw new ThawError('NOT_A_PROJECT', `${file} is not a Thaw project: it is not a SQLite database (${(err as Error).message})`)
  }
  if (appId === THAW_APPLICATION_ID) return { kind: 'project' }
  if (appId !== 0) {
    throw new ThawError('NOT_A_PROJECT', `${file} belongs to another application (SQLite application id 0x${(appId >>> 0).toString(16)}), not Thaw Studio; it was left untouched`)
  }
  if (tables.size === 0) throw new ThawError('NOT_A_PROJECT', `${file} is an empty database, not a Thaw project; it was left untouched (create a project with "thaw init" in a new folder)`)
  const thawLike = version >= 1 && version <= SCHEMA_VERSION && FIRST_SCHEMA_TABLES.every((t) => tables.has(t))
  if (!thawLike) {
    throw new ThawError('NOT_A_PROJECT', `${file} is another application's SQLite database (tables: ${[...tables].slice(0, 5).join(', ')}), not a Thaw project; it was left untouched`)
  }
  return { kind: 'earlier-project' }
}

/** The result of `PRAGMA quick_check`: null when the file is sound, else what SQLite found. */
export function damage(db: Database.Database): string | null {
  let rows: { quick_check: string }[]
  try {
    rows = db.pragma('quick_check(5)', { simple: false }) as { quick_check: string }[]
  } catch (err) {
    // damage bad enough that the check itself cannot walk the file
    const code = (err as { code?: unknown }).code
    if (typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB')) return (err as Error).message
    throw err
  }
  const found = rows.map((r) => r.quick_check).filter((r) => r !== 'ok')
  return found.length ? found.join('; ') : null
}
