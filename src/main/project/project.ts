import fs from 'node:fs'
import path from 'node:path'
import { PROJECT_DB_FILE } from '../../shared/projectFiles'
import type { ProjectInfo } from '../../shared/types'
import { DEFAULT_BACKBONE_ID } from '../backbones/registry'
import { ThawError } from '../errors'
import { nowIso, openDatabase, type Db } from '../store/db'
import { removeStaleTemporaries } from './temporaries'
import { makeDirsSync } from '../util/fsTimeout'
import { refusePseudoFs } from '../util/pseudoFs'

export const DB_FILE = PROJECT_DB_FILE

/** A project is a folder: one SQLite database plus caches (thumbnails, models) beside it.
 * Images stay where they are; the database references them by absolute path. */
export class Project {
  private constructor(
    readonly dir: string,
    readonly db: Db
  ) {}

  get thumbDir(): string {
    return path.join(this.dir, 'thumbs')
  }

  static create(dir: string, name?: string): Project {
    const abs = refusePseudoFs(dir, 'the project folder')
    if (fs.existsSync(path.join(abs, DB_FILE))) {
      throw new ThawError('PROJECT_EXISTS', `${abs} is already a Thaw project; open it instead`)
    }
    if (fs.existsSync(abs)) {
      if (!fs.statSync(abs).isDirectory()) throw new ThawError('NOT_A_FOLDER', `${abs} exists and is not a folder`)
      const entries = fs.readdirSync(abs).filter((e) => !e.startsWith('.'))
      if (entries.length > 0) {
        throw new ThawError('FOLDER_NOT_EMPTY', `${abs} is not empty; a new project needs a new or empty folder`)
      }
    }
    const existed = fs.existsSync(abs)
    makeDirsSync(path.join(abs, 'thumbs'), 'the project folder') // never Node's recursive mkdir: it loops on /proc
    let db: Db | null = null
    try {
      db = openDatabase(path.join(abs, DB_FILE), { create: true })
      const setMeta = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)')
      db.transaction(() => {
        setMeta.run('name', name ?? path.basename(abs))
        setMeta.run('created_at', nowIso())
      })()
      return new Project(abs, db)
    } catch (err) {
      // a project that could not be made leaves nothing behind (else a retry says FOLDER_NOT_EMPTY)
      db?.close()
      for (const f of [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`, 'thumbs']) fs.rmSync(path.join(abs, f), { recursive: true, force: true })
      if (!existed) fs.rmSync(abs, { recursive: true, force: true })
      throw err
    }
  }

  static open(dir: string): Project {
    const abs = refusePseudoFs(dir, 'the project folder')
    if (!fs.existsSync(abs)) throw new ThawError('NOT_FOUND', `no project at ${abs}: the folder does not exist`)
    if (!fs.existsSync(path.join(abs, DB_FILE))) {
      throw new ThawError('NOT_A_PROJECT', `${abs} is not a Thaw project (no ${DB_FILE}); create one with "thaw init"`)
    }
    let db: Db
    try {
      db = openDatabase(path.join(abs, DB_FILE), { create: false })
    } catch (err) {
      if (err instanceof ThawError) throw err
      throw new ThawError('BAD_PROJECT', `cannot open ${abs}: ${(err as Error).message}`)
    }
    makeDirsSync(path.join(abs, 'thumbs'), 'the project folder')
    removeStaleTemporaries(path.join(abs, 'thumbs'))
    return new Project(abs, db)
  }

  info(): ProjectInfo {
    const meta = new Map(
      (this.db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[]).map((r) => [r.key, r.value])
    )
    return {
      path: this.dir,
      name: meta.get('name') ?? path.basename(this.dir),
      schemaVersion: this.db.pragma('user_version', { simple: true }) as number,
      createdAt: meta.get('created_at') ?? '',
      backbone: meta.get('backbone') ?? DEFAULT_BACKBONE_ID
    }
  }

  close(): void {
    if (this.db.open) this.db.close()
  }
}
