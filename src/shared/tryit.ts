// Try it: one picture from the person (dropped, pasted, picked or from the camera) scored by the
// chosen model. The picture travels inside the command as base64, so Electron IPC and browser
// mode's WebSocket carry it the same way; the studio decodes it with the import's guarded
// decoder. Plain data only: this file is shared by the service and the page.

/** Largest picture Try it takes, in bytes: phone photos are 2-8 MB; base64 of 12 MB (16 MB)
 * still fits the browser-mode WebSocket's frame limit with room for the envelope. */
export const TRY_MAX_BYTES = 12 * 1024 * 1024
/** base64 length of TRY_MAX_BYTES (4 characters per 3 bytes, padded) */
export const TRY_MAX_BASE64 = Math.ceil(TRY_MAX_BYTES / 3) * 4

/** How many training images nearest the picture are shown beside its probabilities. */
export const TRY_NEAREST_DEFAULT = 8

export interface TryNeighbour {
  imageId: number
  path: string
  hash: string | null
  /** the image's label now, null when unlabelled */
  className: string | null
  /** cosine similarity of pooled backbone features, -1..1 */
  similarity: number
}

export interface TryResult {
  modelId: number
  /** class names in the model's output order */
  classes: string[]
  /** one probability per class, in `classes` order */
  probs: number[]
  /** the most probable class */
  label: string
  /** the picture as decoded (after EXIF orientation) */
  width: number
  height: number
  format: string
  /** training images most like the picture, most similar first; null when they cannot be
   * found yet, with the reason in `nearestNote` */
  nearest: TryNeighbour[] | null
  nearestNote: string | null
  ms: number
}

/** A readable size: 12 MB, 340 KB, 12 bytes. */
export function formatUploadBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(n >= 10 * 1024 * 1024 ? 0 : 1)} MB`
  if (n >= 1024) return `${Math.round(n / 1024)} KB`
  return `${n} byte${n === 1 ? '' : 's'}`
}

/** What Try it says about a picture that is too large, in the UI's words. */
export function tooLargeForTry(bytes: number): string {
  return `This picture is ${formatUploadBytes(bytes)}; Try it takes pictures up to ${formatUploadBytes(TRY_MAX_BYTES)}.`
}
