// Try it, the pure parts: which picture a drop or paste carries, how probabilities are listed,
// and what to tell the person when the camera cannot be used.
import { TRY_MAX_BYTES, tooLargeForTry } from '../../../shared/tryit'

export interface RankedProb {
  className: string
  p: number
}

/** Classes by probability, most likely first (ties keep the model's order). */
export function rankedProbs(classes: readonly string[], probs: readonly number[]): RankedProb[] {
  return classes.map((className, i) => ({ className, p: probs[i] ?? 0, i })).sort((a, b) => b.p - a.p || a.i - b.i).map(({ className, p }) => ({ className, p }))
}

/** The first file a drop or a paste carries, or null; pictures first, then anything (the
 * studio says why a non-picture cannot be used, in the same words as an import). */
export function pickedFile(files: ArrayLike<File> | null | undefined): File | null {
  if (!files || files.length === 0) return null
  const all = Array.from(files)
  return all.find((f) => f.type.startsWith('image/')) ?? all[0] ?? null
}

/** Why a picture is refused before it is sent, or null. */
export function checkPicture(file: { size: number }): string | null {
  if (file.size === 0) return 'This file is empty (0 bytes).'
  if (file.size > TRY_MAX_BYTES) return tooLargeForTry(file.size)
  return null
}

/** What to say when the camera cannot be used, from getUserMedia's error (or its absence). */
export function cameraProblem(err: unknown, secure: boolean): string {
  if (err === 'absent') {
    return secure
      ? 'This browser offers no camera to the page.'
      : 'The camera needs a secure page: open the studio as http://localhost or over https to use it.'
  }
  const name = (err as { name?: string } | null)?.name ?? ''
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'Camera access was refused. Allow the camera for this page in the browser (or the system settings), then try again.'
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No camera was found on this computer.'
    case 'NotReadableError':
    case 'AbortError':
      return 'The camera is busy or could not start (another program may be using it).'
    default:
      return `The camera could not start: ${(err as Error)?.message ?? String(err)}`
  }
}

/** A file's bytes as base64 (what the tryImage command carries). */
export function fileToBase64(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader()
    reader.onerror = () => reject(reader.error ?? new Error('the file could not be read'))
    reader.onload = () => {
      const url = String(reader.result)
      resolve(url.slice(url.indexOf(',') + 1))
    }
    reader.readAsDataURL(file)
  })
}

export function percent(p: number): string {
  return `${(p * 100).toFixed(p >= 0.995 || p < 0.001 ? 0 : 1)}%`
}
