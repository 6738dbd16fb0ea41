import { ThawError } from '../errors'

/** A JSON header and raw bytes in one BLOB: the header, a newline, then the bytes. JSON.stringify
 * never writes a raw newline, so the first one ends the header. Models and checkpoints use it. */
export function packBlob(header: string, bytes: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${header}\n`), bytes])
}

export function unpackBlob(blob: Buffer): { header: string; bytes: Buffer } {
  const split = blob.indexOf(10)
  if (split < 0) throw new ThawError('DAMAGED_PROJECT', 'a stored blob has no header: the project file is damaged')
  return { header: blob.subarray(0, split).toString('utf8'), bytes: blob.subarray(split + 1) }
}
