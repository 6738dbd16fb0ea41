/**
 * Predictions on every image (issue #8 §2): `predictAll` (what `thaw predict --all` runs) on
 * 2,000, 10,000 and 20,000 cached images, with the chosen head model. Target: 10,000 in <= 5 s
 * on 2 cores.
 *
 *   npm run bench predictall
 *
 * The hymenoptera set is imported, precomputed and a head trained for real; then synthetic image
 * rows are added straight to the project's database, each with its own hash and a copy of a real
 * image's cached features, so the cache holds N images without decoding N files. Each size is
 * timed from nothing scored (the model's stored predictions are dropped first), returning every
 * prediction as the CLI does.
 */
import os from 'node:os'
import { nowIso } from '../../src/main/store/db'
import { benchProject } from './fixtures'

const SIZES = [2_000, 10_000, 20_000]

export async function run(): Promise<Record<string, unknown>> {
  const { studio, api } = await benchProject('predictall', { engineWorkers: 1 })
  try {
    await api.precompute({ views: 0 })
    const model = (await api.train({ epochs: 3 })).modelId
    const db = studio.project().db
    const setId = db.prepare('SELECT set_id FROM activations GROUP BY set_id ORDER BY count(*) DESC LIMIT 1').pluck().get() as number
    const real = db.prepare(`SELECT DISTINCT hash FROM images WHERE status = 'ok'`).pluck().all() as string[]
    const classId = db.prepare('SELECT id FROM classes ORDER BY position LIMIT 1').pluck().get() as number
    const addImage = db.prepare(
      `INSERT INTO images (path, root, rel_path, hash, class_id, split, status, imported_at, updated_at) VALUES (?, '/bench', ?, ?, ?, 'train', 'ok', ?, ?)`
    )
    const addRow = db.prepare('INSERT INTO activations (set_id, hash, view, data) SELECT set_id, ?, 0, data FROM activations WHERE set_id = ? AND hash = ? AND view = 0')
    const count = (): number => db.prepare(`SELECT count(DISTINCT hash) FROM images WHERE status = 'ok'`).pluck().get() as number
    const results: Record<string, unknown>[] = []
    for (const n of SIZES) {
      const have = count()
      db.transaction(() => {
        const now = nowIso()
        for (let i = have; i < n; i++) {
          const hash = `bench${String(i).padStart(59, '0')}`
          addImage.run(`/bench/${i}.jpg`, `${i}.jpg`, hash, i % 3 === 0 ? null : classId, now, now)
          addRow.run(hash, setId, real[i % real.length]!)
        }
      })()
      db.prepare('DELETE FROM model_predictions WHERE model_id = ?').run(model)
      const before = (await studio.engine().stats())[0]?.numTensors ?? 0
      const started = performance.now()
      const r = await api.predictAll({ modelId: model })
      const ms = performance.now() - started
      const after = (await studio.engine().stats())[0]?.numTensors ?? 0
      results.push({
        images: r.predictions.length,
        scored: r.computed,
        source: r.source,
        ms: Math.round(ms),
        msPer1000: Math.round((ms / r.predictions.length) * 1000 * 10) / 10,
        tensorsLeaked: after - before
      })
    }
    return { loadAverage: os.loadavg().map((l) => Math.round(l * 10) / 10), target: '10,000 images <= 5000 ms on 2 cores', sizes: results }
  } finally {
    await studio.close()
  }
}
