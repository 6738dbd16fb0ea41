// Precompute on both runtimes over real images and the real MobileNetV2: rows record which
// runtime made them, and rows of either runtime are interchangeable (within the segment check's
// tolerance, float16 storage included).
import Database from 'better-sqlite3'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { CHECK_TOLERANCE } from '../../../src/main/engine/onnx/tolerance'
import { decodeHalf } from '../../../src/main/precompute/float16'
import { DB_FILE } from '../../../src/main/project/project'
import { Studio } from '../../../src/main/studio/studio'
import { isolatedEnv, smallHymenoptera } from '../../helpers/dataset'
import { tempDir } from '../../helpers/tmp'

isolatedEnv()
const dir = path.join(tempDir(), 'p')
const studios: Studio[] = []
afterAll(async () => {
  for (const s of studios) await s.close()
})

function rows(): Map<string, { runtime: string; values: Float32Array }> {
  const db = new Database(path.join(dir, DB_FILE), { readonly: true })
  const out = new Map<string, { runtime: string; values: Float32Array }>()
  for (const r of db.prepare('SELECT hash, view, runtime, data FROM activations').all() as { hash: string; view: number; runtime: string; data: Buffer }[]) {
    out.set(`${r.hash}:${r.view}`, { runtime: r.runtime, values: decodeHalf(new Uint16Array(r.data.buffer, r.data.byteOffset, r.data.byteLength / 2)) })
  }
  db.close()
  return out
}

function clear(): void {
  const db = new Database(path.join(dir, DB_FILE))
  db.exec('DELETE FROM activations')
  db.close()
}

describe('precompute on ONNX Runtime and on TF.js', () => {
  it('records the runtime of each row, and the rows of both agree within the tolerance', async () => {
    const tfjs = new Studio({ engineWorkers: 1, runtime: 'tfjs' })
    studios.push(tfjs)
    await tfjs.api().createProject({ path: dir })
    await tfjs.api().importFolder({ root: smallHymenoptera(10, 4) })
    const a = await tfjs.api().precompute({ views: 0 })
    expect(a.computed).toBe(28)
    expect(a.frozen).toMatchObject({ preference: 'tfjs', runtime: 'tfjs', provider: null, check: null, reason: 'the runtime setting is tfjs' })
    await tfjs.close()
    const fromTfjs = rows()
    expect([...fromTfjs.values()].every((r) => r.runtime === 'tfjs')).toBe(true)

    clear()
    const onnx = new Studio({ engineWorkers: 1, runtime: 'onnx', provider: 'cpu' })
    studios.push(onnx)
    await onnx.api().openProject({ path: dir })
    const b = await onnx.api().precompute({ views: 0 })
    expect(b.computed).toBe(28)
    expect(b.frozen).toMatchObject({ preference: 'onnx', runtime: 'onnx', provider: 'cpu', workers: 1 })
    expect(b.frozen.check!.relDiff).toBeLessThanOrEqual(CHECK_TOLERANCE)
    expect(b.frozen.detail).toMatch(/^ONNX Runtime, CPU, \d threads?$/)
    const fromOnnx = rows()
    expect([...fromOnnx.values()].every((r) => r.runtime === 'onnx')).toBe(true)

    // the same images, the same set: every row within the tolerance of its TF.js twin
    expect([...fromOnnx.keys()].sort()).toEqual([...fromTfjs.keys()].sort())
    let worst = 0
    for (const [k, o] of fromOnnx) {
      const t = fromTfjs.get(k)!.values
      let diff = 0
      let scale = 0
      for (let i = 0; i < t.length; i++) {
        diff = Math.max(diff, Math.abs(o.values[i]! - t[i]!))
        scale = Math.max(scale, Math.abs(t[i]!))
      }
      worst = Math.max(worst, diff / scale)
    }
    expect(worst).toBeLessThanOrEqual(CHECK_TOLERANCE)
    console.info(`stored rows, ONNX Runtime vs TF.js: max |difference| ${worst.toExponential(2)} relative (float16 included)`)

    // incremental as before: nothing is missing, nothing is computed, whichever runtime made it
    const again = await onnx.api().precompute({ views: 0 })
    expect(again).toMatchObject({ computed: 0, reused: 28 })
    expect(again.frozen.runtime).toBeNull()
  }, 300_000) // two backbone loads and two precomputes on a shared 2-core machine
})
