import fs from 'node:fs'
import path from 'node:path'
import sharp from 'sharp'
import { mulberry32 } from '../../src/main/util/random'

// no vitest imports here: the bench uses this too
const HYMENOPTERA = path.resolve(__dirname, '../../../shared/datasets/hymenoptera')

export type Alteration = 'resize' | 'recompress' | 'crop'

export interface PlantedCopy {
  /** the original's path as imported (a symlink into hymenoptera) */
  original: string
  copy: string
  alteration: Alteration
}

/** Makes an altered copy of an image: resized to 60% and re-encoded, recompressed at JPEG
 * quality 40, or cropped by 6% on every side. The copy is new bytes under a new name, so the
 * exact-bytes duplicate check cannot see it. */
export async function alteredCopy(from: string, to: string, alteration: Alteration): Promise<void> {
  const img = sharp(from).rotate()
  const meta = await img.metadata()
  const w = meta.width!
  const h = meta.height!
  if (alteration === 'resize') await img.resize(Math.round(w * 0.6), Math.round(h * 0.6)).jpeg({ quality: 85 }).toFile(to)
  else if (alteration === 'recompress') await img.jpeg({ quality: 40 }).toFile(to)
  else {
    const dx = Math.round(w * 0.06)
    const dy = Math.round(h * 0.06)
    await img.extract({ left: dx, top: dy, width: w - 2 * dx, height: h - 2 * dy }).jpeg({ quality: 90 }).toFile(to)
  }
}

/**
 * hymenoptera laid out by split (symlinks, never copied), plus `copies` altered copies of
 * randomly chosen images (seeded) written as new files, each in a random split and under its
 * original's class: some copies land across train and valid, the leakage case.
 */
export async function hymenopteraWithNearDuplicates(root: string, copies: number, seed = 7): Promise<{ root: string; planted: PlantedCopy[] }> {
  const originals: string[] = []
  for (const split of ['train', 'val']) {
    for (const cls of ['ants', 'bees']) {
      const to = path.join(root, split, cls)
      fs.mkdirSync(to, { recursive: true })
      for (const f of fs.readdirSync(path.join(HYMENOPTERA, split, cls)).sort()) {
        fs.symlinkSync(path.join(HYMENOPTERA, split, cls, f), path.join(to, f))
        originals.push(path.join(to, f))
      }
    }
  }
  const rand = mulberry32(seed)
  const chosen = new Set<number>()
  while (chosen.size < Math.min(copies, originals.length)) chosen.add(Math.floor(rand() * originals.length))
  const kinds: Alteration[] = ['resize', 'recompress', 'crop']
  const planted: PlantedCopy[] = []
  let k = 0
  for (const i of chosen) {
    const original = originals[i]!
    const cls = path.basename(path.dirname(original))
    const split = rand() < 0.5 ? 'train' : 'val'
    const alteration = kinds[k % kinds.length]!
    const copy = path.join(root, split, cls, `copy_${k}_${alteration}.jpg`)
    await alteredCopy(original, copy, alteration)
    planted.push({ original, copy, alteration })
    k++
  }
  return { root, planted }
}
