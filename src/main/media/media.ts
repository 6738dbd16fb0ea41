import fs from 'node:fs'
import path from 'node:path'
import { decodePreview } from '../dataset/decode'
import { ThawError } from '../errors'
import type { Project } from '../project/project'
import { imagePath } from '../store/images'

export interface Media {
  contentType: string
  body: Buffer
}

// Formats every browser shows as is (and whose EXIF orientation browsers apply themselves).
const WEB_FORMATS: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif'
}

const HASH = /^[0-9a-f]{64}$/

export function thumbnailFile(project: Project, hash: string): string {
  return path.join(project.thumbDir, hash.slice(0, 2), `${hash}.webp`)
}

/** Thumbnails by content hash and full images by id, for both the HTTP server and Electron's
 * custom protocol. Only files the project references can be read this way. */
export async function readMedia(project: Project, kind: string, key: string): Promise<Media> {
  if (kind === 'thumb') {
    if (!HASH.test(key)) throw new ThawError('NOT_FOUND', 'bad thumbnail key')
    try {
      return { contentType: 'image/webp', body: await fs.promises.readFile(thumbnailFile(project, key)) }
    } catch {
      throw new ThawError('NOT_FOUND', 'no thumbnail for this image')
    }
  }
  if (kind === 'image') {
    const id = Number(key)
    if (!Number.isInteger(id) || id <= 0) throw new ThawError('NOT_FOUND', 'bad image id')
    const { path: file } = imagePath(project.db, id)
    const type = WEB_FORMATS[path.extname(file).toLowerCase()]
    try {
      if (type) return { contentType: type, body: await fs.promises.readFile(file) }
      const preview = await decodePreview(file)
      return { contentType: preview.contentType, body: preview.body }
    } catch (err) {
      throw new ThawError('NOT_FOUND', `cannot read ${file}: ${(err as Error).message}`)
    }
  }
  throw new ThawError('NOT_FOUND', `unknown media kind ${kind}`)
}
