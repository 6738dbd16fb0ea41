// #12 item 4: bundles were not tamper-evident. Edited weights (tfjs and ONNX), swapped labels,
// 3 labels for 2 outputs: `thaw predict <bundle>` took them all with rc 0, and a weight path
// "../other/shard.bin" in model.json was read from outside the bundle. Now the export writes a
// manifest of sha256 digests; thaw predict and the bundle's own predict.mjs check it, the
// label count and every path, and say which file is wrong. Also #12 item 11: a FIFO given as an
// image to predict (project or bundle) is refused at once instead of hanging.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ExportResult } from '../../../src/shared/export'
import { jsonError, runThaw } from '../../helpers/runThaw'
import { tempDir } from '../../helpers/tmp'
import { runPredictMjs } from './predictMjs'
import { trainedProject, type TrainedProject } from './trainedProject'

let p: TrainedProject
let tfjs: ExportResult
let onnx: ExportResult
let image: string

beforeAll(async () => {
  p = await trainedProject({ train: 6, val: 3 })
  tfjs = await p.api.exportModel({ format: 'tfjs', out: path.join(tempDir(), 'tfjs') })
  onnx = await p.api.exportModel({ format: 'onnx', out: path.join(tempDir(), 'onnx') })
  image = p.valid[0]!.path
}, 400_000)

afterAll(async () => {
  await p?.studio.close()
})

const sha = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex')

/** A copy of a bundle to damage. */
function copyOf(bundle: ExportResult): string {
  const dir = path.join(tempDir(), 'copy')
  fs.cpSync(bundle.dir, dir, { recursive: true })
  return dir
}

/** Rewrites one manifest entry, as a careful hand edit would: then the other checks must catch it. */
function relist(dir: string, name: string): void {
  const file = path.join(dir, 'manifest.json')
  const m = JSON.parse(fs.readFileSync(file, 'utf8')) as { files: Record<string, string> }
  m.files[name] = sha(path.join(dir, name))
  fs.writeFileSync(file, JSON.stringify(m))
}

function flipByte(file: string, at = 100): void {
  const bytes = fs.readFileSync(file)
  bytes[at] = bytes[at]! ^ 0xff
  fs.writeFileSync(file, bytes)
}

/** The bundle's own predict.mjs on the test's image. */
const predictMjs = (dir: string) => runPredictMjs(dir, [image])

/** thaw predict (through the studio) and predict.mjs both refuse, with this code and message. */
async function expectRefused(dir: string, code: string, message: RegExp): Promise<void> {
  await expect(p.api.predictBundle({ bundle: dir, paths: [image] })).rejects.toMatchObject({ code, message: expect.stringMatching(message) })
  const own = await predictMjs(dir)
  expect(own.code).toBe(1)
  expect(JSON.parse(own.stdout)).toMatchObject({ error: { code, message: expect.stringMatching(message) } })
}

describe('the manifest', () => {
  it('lists every file the export wrote with its sha256', () => {
    for (const bundle of [tfjs, onnx]) {
      const m = JSON.parse(fs.readFileSync(path.join(bundle.dir, 'manifest.json'), 'utf8')) as { format: string; algorithm: string; files: Record<string, string> }
      expect(m.format).toBe('thaw-bundle-manifest/1')
      expect(m.algorithm).toBe('sha256')
      const written = bundle.files.map((f) => f.name).filter((n) => n !== 'manifest.json')
      expect(Object.keys(m.files).sort()).toEqual(written.sort())
      for (const [name, digest] of Object.entries(m.files)) expect(sha(path.join(bundle.dir, name))).toBe(digest)
    }
  })

  it('an untouched bundle predicts, with thaw predict and with predict.mjs', async () => {
    for (const bundle of [tfjs, onnx]) {
      const { results } = await p.api.predictBundle({ bundle: bundle.dir, paths: [image] })
      expect(results[0]).toMatchObject({ label: expect.any(String) })
      const own = await predictMjs(copyOf(bundle))
      expect(own.code).toBe(0)
      expect((JSON.parse(own.stdout) as { label: string }[])[0]!.label).toBe(results[0]!.label)
    }
  }, 180_000)
})

describe('tampered bundles are refused, naming the file', () => {
  it('edited tfjs weights', async () => {
    const dir = copyOf(tfjs)
    const shard = fs.readdirSync(dir).find((n) => n.endsWith('.bin'))!
    flipByte(path.join(dir, shard))
    await expectRefused(dir, 'BUNDLE_TAMPERED', new RegExp(`^${shard.replace('.', '\\.')} in .* was changed after export`))
  }, 120_000)

  it('edited ONNX weights', async () => {
    const dir = copyOf(onnx)
    flipByte(path.join(dir, 'model.onnx'), fs.statSync(path.join(dir, 'model.onnx')).size - 100)
    await expectRefused(dir, 'BUNDLE_TAMPERED', /^model\.onnx in .* was changed after export/)
  }, 120_000)

  it('swapped labels', async () => {
    const dir = copyOf(tfjs)
    fs.writeFileSync(path.join(dir, 'labels.json'), JSON.stringify(['bees', 'ants']))
    await expectRefused(dir, 'BUNDLE_TAMPERED', /^labels\.json in .* was changed after export/)
  }, 120_000)

  it('3 labels for 2 outputs, even with the manifest rewritten to match', async () => {
    for (const bundle of [tfjs, onnx]) {
      const dir = copyOf(bundle)
      fs.writeFileSync(path.join(dir, 'labels.json'), JSON.stringify(['ants', 'bees', 'wasps']))
      relist(dir, 'labels.json')
      await expectRefused(dir, 'BUNDLE_LABELS_MISMATCH', /^labels\.json in .* names 3 classes but the model gives 2 outputs/)
    }
  }, 180_000)

  it('weight paths that leave the bundle: ../other/shard.bin, an absolute path, a link out', async () => {
    const outside = tempDir()
    const cases: [string, (dir: string, shard: string) => string][] = [
      ['../other/shard.bin', (dir, shard) => {
        fs.mkdirSync(path.join(path.dirname(dir), 'other'), { recursive: true })
        fs.copyFileSync(path.join(dir, shard), path.join(path.dirname(dir), 'other', 'shard.bin'))
        return '../other/shard.bin'
      }],
      ['/etc/passwd', () => '/etc/passwd'],
      ['a link', (dir, shard) => {
        fs.copyFileSync(path.join(dir, shard), path.join(outside, 'shard.bin'))
        fs.rmSync(path.join(dir, shard))
        fs.symlinkSync(path.join(outside, 'shard.bin'), path.join(dir, shard))
        return shard
      }]
    ]
    for (const [, make] of cases) {
      const dir = copyOf(tfjs)
      const model = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as { weightsManifest: { paths: string[] }[] }
      const shard = model.weightsManifest[0]!.paths[0]!
      model.weightsManifest[0]!.paths[0] = make(dir, shard)
      fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(model))
      relist(dir, 'model.json')
      await expectRefused(dir, 'BUNDLE_PATH_OUTSIDE', /^(model|manifest)\.json in .* names ".*", (a path that leaves|an absolute path|a link to .* outside the bundle folder)/)
    }
  }, 240_000)

  it('a bundle without a manifest', async () => {
    const dir = copyOf(onnx)
    fs.rmSync(path.join(dir, 'manifest.json'))
    await expectRefused(dir, 'BUNDLE_NO_MANIFEST', /has no manifest\.json|manifest\.json is missing/)
  }, 120_000)

  it('on the command line: exit 1, the code and one line', async () => {
    const dir = copyOf(tfjs)
    fs.writeFileSync(path.join(dir, 'labels.json'), JSON.stringify(['bees', 'ants']))
    const r = await runThaw(['predict', dir, image, '--json'], { env: { THAW_CONFIG_DIR: tempDir() } })
    expect(r.hung).toBe(false)
    expect(r.code).toBe(1)
    expect(jsonError(r)).toMatchObject({ code: 'BUNDLE_TAMPERED', message: expect.stringMatching(/^labels\.json in .* was changed after export/) })
  }, 120_000)
})

describe('a FIFO as the image to predict is refused at once (it used to hang)', () => {
  it('thaw predict <project> and thaw predict <bundle>', async () => {
    const fifo = path.join(tempDir(), 'photo.jpg')
    execFileSync('mkfifo', [fifo])
    for (const target of [p.dir, tfjs.dir]) {
      const r = await runThaw(['predict', target, fifo, image, '--json'], { env: { THAW_CONFIG_DIR: tempDir() } })
      expect(r.hung).toBe(false)
      expect(r.code).toBe(1)
      const results = JSON.parse(r.stdout) as { path: string; error?: string; label?: string }[]
      expect(results[0]).toEqual({ path: fifo, error: `the image ${fifo} is a pipe (FIFO), not a regular file` })
      expect(results[1]).toMatchObject({ path: image, label: expect.any(String) })
    }
  }, 240_000)
})
