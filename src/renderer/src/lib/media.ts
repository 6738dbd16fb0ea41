// Media URLs for images. Thumbnails are addressed by content hash, so they can be cached
// forever. Full images are addressed by id, which is only unique within one project and keeps
// its number when the file changes: the content hash is added so that a browser cache never
// shows another project's image 1, or yesterday's version of this one.
import type { ImageItem } from '../../../shared/types'
import { transport } from './transport'

export function thumbUrl(hash: string): string {
  return transport.mediaUrl('thumb', hash)
}

export function imageUrl(item: Pick<ImageItem, 'id' | 'hash'>): string {
  const url = transport.mediaUrl('image', item.id)
  return `${url}${url.includes('?') ? '&' : '?'}v=${item.hash ?? 'none'}`
}
