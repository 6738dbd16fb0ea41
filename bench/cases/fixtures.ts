import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Studio } from '../../src/main/studio/studio'
import type { StudioApi } from '../../src/shared/contract'

export const HYMENOPTERA = path.resolve(__dirname, '../../../shared/datasets/hymenoptera')
export const BACKBONES = path.resolve(__dirname, '../../../shared/backbones')

/** A fresh project with the hymenoptera set imported, in a temporary folder outside the repo. */
export async function benchProject(name: string, opts: { engineWorkers?: number } = {}): Promise<{ studio: Studio; api: StudioApi; files: string[]; dir: string }> {
  process.env.THAW_MODEL_MIRROR ??= BACKBONES
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `thaw-bench-${name}-`))
  process.env.THAW_CACHE_DIR ??= path.join(tmp, 'cache')
  process.env.THAW_CONFIG_DIR ??= path.join(tmp, 'config')
  const studio = new Studio(opts.engineWorkers ? { engineWorkers: opts.engineWorkers } : {})
  const api = studio.api()
  const dir = path.join(tmp, 'project')
  await api.createProject({ path: dir })
  await api.importFolder({ root: HYMENOPTERA })
  const files: string[] = []
  for (const split of ['train', 'val']) {
    for (const cls of ['ants', 'bees']) {
      const d = path.join(HYMENOPTERA, split, cls)
      for (const f of fs.readdirSync(d).sort()) files.push(path.join(d, f))
    }
  }
  return { studio, api, files, dir }
}
