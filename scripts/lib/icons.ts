// The app's icons, rendered from the one SVG source (resources/icon.svg) into every size and
// format electron-builder and the window want. sharp (librsvg) rasterises the vector at each PNG
// size, so small sizes are drawn, not shrunk; png2icons packs the .ico (Windows) and .icns
// (macOS) from the 1024 px render, choosing the sizes and chunk types each format needs.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import * as png2icons from 'png2icons'
import sharp from 'sharp'

/** Linux icon set (electron-builder `linux.icon`: a folder of NxN.png) and the PNG 512/1024. */
export const PNG_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024] as const

/** What `renderIcons` writes, relative to its output folder. */
export const ICON_FILES = {
  /** the Linux set, one file per size */
  pngDir: 'png',
  png: (size: number): string => path.join('png', `${size}x${size}.png`),
  ico: 'icon.ico',
  icns: 'icon.icns',
  /** the digest of the source that the files were rendered from: a later run with the same
   * source has nothing to do */
  stamp: 'source.sha256'
} as const

export interface RenderedIcons {
  outDir: string
  /** false: the files were already rendered from this source */
  rendered: boolean
  files: string[]
}

/** Renders `svgPath` into `outDir`, unless it already holds this source's icons (or `force`). */
export async function renderIcons(svgPath: string, outDir: string, opts: { force?: boolean } = {}): Promise<RenderedIcons> {
  const svg = fs.readFileSync(svgPath)
  // the script's own rules are part of the source: new sizes must re-render old folders
  const digest = crypto.createHash('sha256').update(svg).update(JSON.stringify(PNG_SIZES)).update('png2icons-2/exe-ico').digest('hex')
  const files = [...PNG_SIZES.map(ICON_FILES.png), ICON_FILES.ico, ICON_FILES.icns].map((f) => path.join(outDir, f))
  const stamp = path.join(outDir, ICON_FILES.stamp)
  const current = fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8').trim() === digest && files.every((f) => fs.existsSync(f))
  if (current && !opts.force) return { outDir, rendered: false, files }

  // a failed render leaves no stamp: the next run starts over instead of trusting half a folder
  fs.rmSync(stamp, { force: true })
  fs.mkdirSync(path.join(outDir, ICON_FILES.pngDir), { recursive: true })
  const pngs = new Map<number, Buffer>()
  for (const size of PNG_SIZES) {
    // density: librsvg rasterises at the SVG's own 1024 px unless told otherwise; render each size
    // from the vector at that size (crisp small icons), keeping the transparent corners
    const png = await sharp(svg, { density: Math.max(1, (72 * size) / 1024) })
      .resize(size, size, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 } })
      .ensureAlpha()
      .png({ compressionLevel: 9 })
      .toBuffer()
    pngs.set(size, png)
    fs.writeFileSync(path.join(outDir, ICON_FILES.png(size)), png)
  }
  const master = pngs.get(1024)!
  // 0 colours: lossless. forWinExe: PNG chunks from 64 px up, BMP below, which every Windows
  // version's Explorer and the installer's resource editor accept
  const ico = png2icons.createICO(master, png2icons.BICUBIC2, 0, false, true)
  const icns = png2icons.createICNS(master, png2icons.BICUBIC2, 0)
  png2icons.clearCache()
  if (!ico) throw new Error(`icons: png2icons could not make ${ICON_FILES.ico} from ${svgPath}`)
  if (!icns) throw new Error(`icons: png2icons could not make ${ICON_FILES.icns} from ${svgPath}`)
  fs.writeFileSync(path.join(outDir, ICON_FILES.ico), ico)
  fs.writeFileSync(path.join(outDir, ICON_FILES.icns), icns)
  fs.writeFileSync(stamp, `${digest}\n`)
  return { outDir, rendered: true, files }
}
