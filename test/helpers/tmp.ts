import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll } from 'vitest'

const made: string[] = []
afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true })
})

/** A fresh temporary folder, removed when the test file ends. */
export function tempDir(prefix = 'thaw-test-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  made.push(d)
  return d
}

/** The shared hymenoptera set, read in place (never copied into the repo). */
export const HYMENOPTERA = path.resolve(__dirname, '../../../shared/datasets/hymenoptera')
export const BACKBONE_MIRROR = path.resolve(__dirname, '../../../shared/backbones')
