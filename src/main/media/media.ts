import fs from 'node:fs'
import path from 'node:path'
import { decodePreview } from '../dataset/decode'
import { ThawError } from '../errors'
import type { Project } from '../project/project'
import { IMAGE_MAX_BYTES, readRegularFile } from '../util/safeRead'

export interface Media {
  contentType: string
  body: Buffer
}

/** Why media is not served: a stable code and a reason (both transports answer 404 with it). */
export type MediaCode = 'NOT_FOUND' | 'MEDIA_NOT_USABLE' | 'MEDIA_OUTSIDE'

const HASH = /^[0-9a-f]{64}$/

export function thumbnailFile(project: Project, hash: string): string {
  return path.join(project.thumbDir, hash.slice(0, 2), `${hash}.webp`)
}

/** The format of an image by its first bytes (never by its name): what a browser shows as is. */
export function sniffWebImage(head: Uint8Array): string | null {
  const at = (i: number, ...bytes: number[]): boolean => bytes.every((b, j) => head[i + j] === b)
  if (at(0, 0xff, 0xd8, 0xff)) return 'image/jpeg'
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png'
  if (at(0, 0x47, 0x49, 0x46, 0x38)) return 'image/gif'
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return 'image/webp'
  return null
}

const inside = (file: string, folder: string): boolean => file.startsWith(folder.endsWith(path.sep) ? folder : folder + path.sep)

/** The real path of `file` if it lies inside `folder` (itself made real), else null. */
async function realInside(file: string, folder: string): Promise<string | null> {
  try {
    const [real, root] = await Promise.all([fs.promises.realpath(file), fs.promises.realpath(folder)])
    return inside(real, root) ? real : null
  } catch {
    return null
  }
}

async function readImage(file: string, what: string): Promise<Buffer> {
  try {
    return await readRegularFile(file, { maxBytes: IMAGE_MAX_BYTES, what })
  } catch (err) {
    throw new ThawError('NOT_FOUND', (err as Error).message)
  }
}

/**
 * Thumbnails by content hash and full images by id, for both the HTTP server and Electron's
 * custom protocol. What may be read this way, and nothing else:
 * - a thumbnail file whose real path is inside the project's thumbnail folder;
 * - an image the import found usable (status ok), by its real path, inside the folder it was
 *   imported from: a symlink swapped in later (`ln -s /etc/shadow cls/x.png`) or pointing out of
 *   the imported folder is refused, and so is a file whose bytes are not an image.
 */
export async function readMedia(project: Project, kind: string, key: string): Promise<Media> {
  if (kind === 'thumb') {
    if (!HASH.test(key)) throw new ThawError('NOT_FOUND', 'bad thumbnail key')
    const real = await realInside(thumbnailFile(project, key), project.thumbDir)
    if (!real) throw new ThawError('NOT_FOUND', 'no thumbnail for this image')
    const body = await readImage(real, 'the thumbnail')
    if (sniffWebImage(body) !== 'image/webp') throw new ThawError('MEDIA_NOT_USABLE', 'the thumbnail is damaged')
    return { contentType: 'image/webp', body }
  }
  if (kind === 'image') {
    const id = Number(key)
    if (!Number.isInteger(id) || id <= 0) throw new ThawError('NOT_FOUND', 'bad image id')
    const row = project.db.prepare('SELECT path, root, status FROM images WHERE id = ?').get(id) as
      | { path: string; root: string; status: string }
      | undefined
    if (!row) throw new ThawError('NOT_FOUND', `there is no image with id ${id}`)
    if (row.status !== 'ok') throw new ThawError('MEDIA_NOT_USABLE', `image ${id} is not a usable image (${row.status})`)
    const real = await realInside(row.path, row.root)
    if (!real) throw new ThawError('MEDIA_OUTSIDE', `image ${id} is not inside the folder it was imported from (moved, or a link that leads out of it)`)
    const body = await readImage(real, 'the image')
    const type = sniffWebImage(body)
    if (type) return { contentType: type, body }
    try {
      // TIFF, HEIC, AVIF...: a rendering the browser can show; anything sharp cannot decode is no image
      const preview = await decodePreview(body)
      return { contentType: preview.contentType, body: preview.body }
    } catch (err) {
      throw new ThawError('MEDIA_NOT_USABLE', `cannot show image ${id}: ${(err as Error).message.split('\n')[0]}`)
    }
  }
  throw new ThawError('NOT_FOUND', `unknown media kind ${kind}`)
}
