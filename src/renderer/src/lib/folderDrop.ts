// A folder dropped on the desktop app's window (Electron; browser mode uploads instead,
// lib/upload.svelte.ts): a project folder opens, like dropping a folder on VS Code; any other
// folder goes to the Import dialog, filled in, for the person to confirm the split and import.
import { PROJECT_DB_FILE } from '../../../shared/projectFiles'
import type { FolderListing } from '../../../shared/types'

export type FolderDropAction =
  | { kind: 'open'; path: string }
  | { kind: 'import'; path: string }
  | { kind: 'refuse'; message: string }

export function folderDropAction(
  folders: readonly string[],
  listing: FolderListing | null,
  state: { projectOpen: boolean; importing: boolean }
): FolderDropAction {
  const [first] = folders
  if (!first || !listing) return { kind: 'refuse', message: 'Drop a folder (of images, or a project) to import or open it' }
  if (folders.length > 1) return { kind: 'refuse', message: 'Drop one folder at a time: each import is its own report' }
  if (listing.entries.some((e) => e.kind === 'file' && e.name === PROJECT_DB_FILE)) return { kind: 'open', path: first }
  if (!state.projectOpen) return { kind: 'refuse', message: 'Create or open a project first, then drop a folder of images on the window to import it' }
  if (state.importing) return { kind: 'refuse', message: 'An import is running: drop the folder again when it is done' }
  return { kind: 'import', path: first }
}
