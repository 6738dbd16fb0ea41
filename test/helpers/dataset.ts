import fs from 'node:fs'
import path from 'node:path'
import { HYMENOPTERA, tempDir } from './tmp'

/** A small split-folder set of real images: symlinks to the first `perClass` training and
 * `validPerClass` validation images of each hymenoptera class (read in place, never copied). */
export function smallHymenoptera(perClass: number, validPerClass: number): string {
  const root = tempDir('thaw-small-')
  for (const [split, n] of [
    ['train', perClass],
    ['val', validPerClass]
  ] as const) {
    for (const cls of ['ants', 'bees']) {
      const from = path.join(HYMENOPTERA, split, cls)
      const to = path.join(root, split, cls)
      fs.mkdirSync(to, { recursive: true })
      for (const f of fs.readdirSync(from).sort().slice(0, n)) fs.symlinkSync(path.join(from, f), path.join(to, f))
    }
  }
  return root
}

/** Points the studio at the shared backbones and keeps caches and settings out of $HOME. */
export function isolatedEnv(): void {
  process.env.THAW_MODEL_MIRROR = path.resolve(HYMENOPTERA, '../../backbones')
  process.env.THAW_CACHE_DIR ??= tempDir('thaw-cache-')
  process.env.THAW_CONFIG_DIR ??= tempDir('thaw-config-')
}
