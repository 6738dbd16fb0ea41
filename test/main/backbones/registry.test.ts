import { createHash } from 'node:crypto'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { BUILTIN_BACKBONES, DEFAULT_BACKBONE_ID, builtinBackbone } from '../../../src/main/backbones/registry'
import type { BackboneSpec } from '../../../src/main/backbones/types'
import { BACKBONE_MIRROR } from '../../helpers/tmp'

const sha256 = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex')

function folderOf(spec: BackboneSpec): string {
  if (spec.source.kind === 'npm-fallback') {
    const entry = createRequire(import.meta.url).resolve(spec.source.package)
    return path.join(entry.slice(0, entry.lastIndexOf(`${path.sep}dist${path.sep}`)), spec.source.folder)
  }
  return path.join(BACKBONE_MIRROR, spec.id)
}

describe('backbone registry', () => {
  it('has unique ids, one recommended default, and a download home for every download entry', () => {
    const ids = BUILTIN_BACKBONES.map((spec) => spec.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(builtinBackbone(DEFAULT_BACKBONE_ID)?.recommended).toBe(true)
    expect(BUILTIN_BACKBONES.filter((spec) => spec.recommended)).toHaveLength(1)
    for (const spec of BUILTIN_BACKBONES) {
      if (spec.source.kind === 'download') expect(spec.source.baseUrl).toMatch(/^https:\/\/.+\/$/)
      expect(spec.source.origin.length).toBeGreaterThan(20)
    }
    expect(builtinBackbone('nsfwjs_mobilenet_v2')?.caveat).toMatch(/fallback/i)
  })

  it('ends the last group at the feature layer and names each file once', () => {
    for (const spec of BUILTIN_BACKBONES) {
      expect(spec.groups.at(-1)?.lastLayer).toBe(spec.featureLayer)
      expect(new Set(spec.groups.map((g) => g.lastLayer)).size).toBe(spec.groups.length)
      const names = spec.files.map((f) => f.name)
      expect(new Set(names).size).toBe(names.length)
      expect(spec.files.filter((f) => f.role === 'model')).toHaveLength(1)
    }
  })

  it.each(BUILTIN_BACKBONES.map((spec) => [spec.id, spec] as const))('records the true size and sha256 of every file of %s', (_id, spec) => {
    const folder = folderOf(spec)
    for (const file of spec.files) {
      const full = path.join(folder, file.name)
      expect(fs.statSync(full).size, file.name).toBe(file.bytes)
      expect(sha256(full), file.name).toBe(file.sha256)
    }
  })

  it('lists exactly the shards that model.json names, and nothing else as weights', () => {
    for (const spec of BUILTIN_BACKBONES.filter((s) => s.source.kind === 'download')) {
      const json = JSON.parse(fs.readFileSync(path.join(BACKBONE_MIRROR, spec.id, 'model.json'), 'utf8')) as {
        weightsManifest: { paths: string[] }[]
      }
      const shards = json.weightsManifest.flatMap((group) => group.paths).sort()
      expect(spec.files.filter((f) => f.role === 'weights').map((f) => f.name).sort()).toEqual(shards)
    }
  })
})
