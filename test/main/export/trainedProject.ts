// A small trained project for the export tests: a few hymenoptera images per class and split,
// copied into a temporary folder (never into the repo), imported and trained for two epochs.
import fs from 'node:fs'
import path from 'node:path'
import { Studio } from '../../../src/main/studio/studio'
import type { StudioApi } from '../../../src/shared/contract'
import { BACKBONE_MIRROR, HYMENOPTERA, tempDir } from '../../helpers/tmp'

export interface TrainedProject {
  studio: Studio
  api: StudioApi
  dir: string
  data: string
  /** the validation images, with their class */
  valid: { path: string; className: string }[]
}

export function useTestEnvironment(): void {
  process.env['THAW_MODEL_MIRROR'] = BACKBONE_MIRROR
  process.env['THAW_CACHE_DIR'] ??= tempDir('thaw-cache-')
  process.env['THAW_CONFIG_DIR'] ??= tempDir('thaw-config-')
}

function copySubset(dest: string, perClass: { train: number; val: number }): { path: string; className: string }[] {
  const valid: { path: string; className: string }[] = []
  for (const split of ['train', 'val'] as const) {
    for (const cls of ['ants', 'bees']) {
      const from = path.join(HYMENOPTERA, split, cls)
      const to = path.join(dest, split, cls)
      fs.mkdirSync(to, { recursive: true })
      for (const name of fs.readdirSync(from).sort().slice(0, perClass[split])) {
        fs.copyFileSync(path.join(from, name), path.join(to, name))
        if (split === 'val') valid.push({ path: path.join(to, name), className: cls })
      }
    }
  }
  return valid
}

export async function trainedProject(perClass = { train: 10, val: 5 }): Promise<TrainedProject> {
  useTestEnvironment()
  const root = tempDir('thaw-export-')
  const data = path.join(root, 'images')
  const valid = copySubset(data, perClass)
  const studio = new Studio({ engineWorkers: 1 })
  const api = studio.api()
  const dir = path.join(root, 'project')
  await api.createProject({ path: dir, name: 'Ants & bees' })
  await api.importFolder({ root: data })
  await api.train({ epochs: 2 })
  return { studio, api, dir, data, valid }
}
