import type { Sharp } from 'sharp'
import { DEFAULT_MAX_PIXELS, decodeOptions, type ImageFormat } from './probe'
import { loadSharp } from './sharp'

export type Fit = 'squash' | 'center-crop'

export interface DecodeOptions {
  maxPixels?: number
}

/**
 * An image as the model sees it: size x size x 3 bytes, RGB, row-major (HWC), 8-bit sRGB, EXIF
 * orientation applied, alpha flattened on white. 'squash' stretches the whole picture to the
 * square (fastai's ResizeMethod.Squash: nothing is cut off); 'center-crop' scales the short side
 * to `size` and cuts the middle square.
 *
 * Decodes under failOn 'error': the import already refused damaged files, and a file it kept
 * with a harmless warning must decode here too. Throws if the file is unreadable or damaged.
 */
export async function decodeForModel(
  input: string | Uint8Array,
  size: number,
  fit: Fit,
  opts: DecodeOptions = {}
): Promise<Uint8Array> {
  if (!Number.isInteger(size) || size < 1 || size > 4096) throw new RangeError(`size must be an integer from 1 to 4096, got ${size}`)
  const { data, info } = await rgb8(await open(input, opts.maxPixels), fit === 'squash' ? 'fill' : 'cover', size)
    .raw()
    .toBuffer({ resolveWithObject: true })
  if (info.width !== size || info.height !== size || info.channels !== 3 || data.length !== size * size * 3) {
    throw new Error(`decode gave ${info.width}x${info.height}x${info.channels} instead of ${size}x${size}x3`)
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}

export interface Preview {
  contentType: 'image/jpeg' | 'image/webp'
  body: Buffer
  width: number
  height: number
}

/** Longest side of a preview: larger than any screen shows in the image viewer, and it keeps a
 * 100 MP TIFF from travelling to the renderer whole. */
export const PREVIEW_MAX_SIDE = 2048

/** Whether a browser shows this file as it is (format it knows, no rotation to apply). Browsers
 * do apply EXIF orientation to <img>, but not all of them to canvas or CSS backgrounds, and
 * TIFF, HEIC and (outside Chromium) AVIF do not display at all. */
export function browserCanShow(format: ImageFormat, orientation = 1): boolean {
  return (format === 'jpeg' || format === 'png' || format === 'webp' || format === 'gif') && orientation === 1
}

/**
 * A browser-displayable rendering of any importable image: EXIF-rotated, 8-bit sRGB, at most
 * 2048 px on its long side. JPEG when opaque (fast to encode, small); WebP when the image has
 * alpha, so transparency survives.
 */
export async function decodePreview(input: string | Uint8Array, opts: DecodeOptions & { maxSide?: number } = {}): Promise<Preview> {
  const image = await open(input, opts.maxPixels)
  const meta = await image.metadata()
  const maxSide = opts.maxSide ?? PREVIEW_MAX_SIDE
  const resized = image.resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true }).toColourspace('srgb')
  const out = meta.hasAlpha ? resized.webp({ quality: 90 }) : resized.jpeg({ quality: 90, mozjpeg: false })
  const { data, info } = await out.toBuffer({ resolveWithObject: true })
  return { contentType: meta.hasAlpha ? 'image/webp' : 'image/jpeg', body: data, width: info.width, height: info.height }
}

async function open(input: string | Uint8Array, maxPixels = DEFAULT_MAX_PIXELS): Promise<Sharp> {
  const sharp = await loadSharp()
  return sharp(typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength), decodeOptions('error', maxPixels))
}

/** Flatten alpha on white and convert to 3-band 8-bit sRGB, then resize to a size x size square. */
function rgb8(image: Sharp, fit: 'fill' | 'cover', size: number): Sharp {
  return image
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .removeAlpha()
    .resize(size, size, { fit, position: 'centre' })
}
