import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { FolderListing } from '../../shared/types'
import { ThawError } from '../errors'

/** Folder listing for the project and import pickers. Browser mode has no native dialog, so the
 * studio offers its own: folders first, hidden entries left out. */
export function listFolder(dir?: string): FolderListing {
  const abs = path.resolve(dir ?? os.homedir())
  let dirents: fs.Dirent[]
  try {
    dirents = fs.readdirSync(abs, { withFileTypes: true })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new ThawError('NOT_FOUND', `${abs} does not exist`)
    if (code === 'ENOTDIR') throw new ThawError('NOT_A_FOLDER', `${abs} is not a folder`)
    if (code === 'EACCES' || code === 'EPERM') throw new ThawError('NO_ACCESS', `no permission to read ${abs}`)
    throw err
  }
  const entries = dirents
    .filter((d) => !d.name.startsWith('.'))
    .map((d) => {
      let isDir = d.isDirectory()
      if (d.isSymbolicLink()) {
        try {
          isDir = fs.statSync(path.join(abs, d.name)).isDirectory()
        } catch {
          isDir = false
        }
      }
      return { name: d.name, kind: isDir ? ('dir' as const) : ('file' as const) }
    })
    .sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'dir' ? -1 : 1))
  const parent = path.dirname(abs)
  return { path: abs, parent: parent === abs ? null : parent, entries }
}
