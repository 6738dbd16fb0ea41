// Uploads from the browser, the parts that touch the page's file APIs: what a drop or a folder
// picker holds (folders walked), and sending one file. Where each file goes is planUpload's
// (shared/upload.ts); the studio checks every file again.
import type { DroppedFile, UploadedFile, UploadResponse } from '../../../shared/upload'

/** Reads every entry of a dropped folder (readEntries answers in batches of about 100). */
function readAll(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => {
    const out: FileSystemEntry[] = []
    const next = (): void =>
      reader.readEntries((batch) => {
        if (batch.length === 0) return resolve(out)
        out.push(...batch)
        next()
      }, reject)
    next()
  })
}

async function walk(entry: FileSystemEntry, prefix: string, out: DroppedFile<File>[]): Promise<void> {
  const here = prefix ? `${prefix}/${entry.name}` : entry.name
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject))
    out.push({ path: here, file })
  } else if (entry.isDirectory) {
    for (const child of await readAll((entry as FileSystemDirectoryEntry).createReader())) await walk(child, here, out)
  }
}

/**
 * The files a drop carries, with their paths inside what was dropped ('ants/a.jpg' for a dropped
 * folder 'ants'). Must be called during the drop event: the browser empties the items after it.
 * Files without an entry (some browsers, or a drop built by a script) keep the path a folder
 * picker gave them, or their bare name.
 */
export function droppedFiles(dt: DataTransfer): Promise<DroppedFile<File>[]> {
  const entries: FileSystemEntry[] = []
  const loose: File[] = []
  for (const item of Array.from(dt.items)) {
    if (item.kind !== 'file') continue
    const entry = item.webkitGetAsEntry?.()
    if (entry) entries.push(entry)
    else {
      const f = item.getAsFile()
      if (f) loose.push(f)
    }
  }
  return (async () => {
    const out: DroppedFile<File>[] = []
    for (const e of entries) await walk(e, '', out)
    for (const f of loose) out.push({ path: f.webkitRelativePath || f.name, file: f })
    return out
  })()
}

/** The files of an <input type=file> (with webkitdirectory, their paths inside the folder). */
export function pickedFiles(files: FileList | null): DroppedFile<File>[] {
  return Array.from(files ?? []).map((f) => ({ path: f.webkitRelativePath || f.name, file: f }))
}

/** Sends one file; resolves with what the studio did, or rejects with its reason. */
export async function sendFile(url: string, file: Blob): Promise<UploadedFile> {
  let res: Response
  try {
    res = await fetch(url, { method: 'POST', body: file, headers: { 'content-type': 'application/octet-stream' } })
  } catch {
    throw new Error('the studio could not be reached (is it still running?)')
  }
  let body: UploadResponse
  try {
    body = (await res.json()) as UploadResponse
  } catch {
    throw new Error(`the studio answered ${res.status} ${res.statusText}`)
  }
  if (!body.ok) throw new Error(body.error.message)
  return body.file
}
