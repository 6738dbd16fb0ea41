import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { embeddingCache } from '../../src/main/embeddings'
import { ensureSet, writeActivations } from '../../src/main/precompute/activationStore'
import { activationKey } from '../../src/main/precompute/precompute'
import type { Project } from '../../src/main/project/project'
import { ensureClass } from '../../src/main/store/classes'
import { nowIso } from '../../src/main/store/db'
import { Studio } from '../../src/main/studio/studio'
import { beginRun, saveModel } from '../../src/main/training/modelStore'
import { writePredictions } from '../../src/main/training/predictionStore'
import { mulberry32 } from '../../src/main/util/random'
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

/** The project a studio has open (the benches reach past the contract to write rows directly). */
export const openProjectOf = (studio: Studio): Project => (studio as unknown as { project(): Project }).project()

/** A project of n synthetic images (rows only, no files) with cached features: 2 classes, each
 * image a noisy copy of its class centre, 1% of them near-copies of another. Building n real
 * images and precomputing them would take hours; every feature-only tool cannot tell. */
export async function syntheticProject(n: number): Promise<{ studio: Studio; api: StudioApi; dir: string }> {
  process.env.THAW_MODEL_MIRROR ??= BACKBONES
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `thaw-bench-synth-${n}-`))
  const studio = new Studio({ engineWorkers: 2 })
  const api = studio.api()
  await api.createProject({ path: path.join(dir, 'p') })
  const project = openProjectOf(studio)
  const db = project.db
  const d = await studio.engine().run('describe', { backbone: project.info().backbone })
  const key = activationKey(d, d.spec.featureLayer, 'concat-pool')
  const dim = 2 * d.spec.featureShape[2]
  const set = ensureSet(db, key, [dim])
  const rand = mulberry32(1)
  const centres = [0, 1].map(() => Float32Array.from({ length: dim }, () => (rand() < 0.3 ? 3 * rand() : 0)))
  const insert = db.prepare(`INSERT INTO images (path, root, rel_path, hash, class_id, split, status, imported_at, updated_at) VALUES (?, '/synthetic', ?, ?, ?, ?, 'ok', ?, ?)`)
  const classIds = [ensureClass(db, 'a'), ensureClass(db, 'b')]
  let prev: Float32Array | null = null
  const rows: { hash: string; view: number; values: Float32Array }[] = []
  for (let i = 0; i < n; i++) {
    const c = i % 2
    const hash = i.toString(16).padStart(64, '0')
    const v: Float32Array = prev && rand() < 0.01 ? prev.map((x) => Math.max(0, x + (rand() - 0.5) * 0.1)) : centres[c]!.map((x) => Math.max(0, x + (rand() - 0.5) * 2.5))
    prev = v
    rows.push({ hash, view: 0, values: v })
    const now = nowIso()
    insert.run(`/synthetic/${i}.jpg`, `${i}.jpg`, hash, classIds[c]!, rand() < 0.2 ? 'valid' : 'train', now, now)
    if (rows.length === 1000) writeActivations(db, set.id, rows.splice(0))
  }
  if (rows.length) writeActivations(db, set.id, rows)
  await embeddingCache(project, studio.engine())
  return { studio, api, dir }
}

/** A kept model (fake weights: nothing runs it) that is chosen, with a stored prediction for every
 * image of the project: what the grid's badges and the map's prediction colours read. About one
 * prediction in eight disagrees with the label, and confidences spread over 0.5..1. */
export function fakeModelWithPredictions(db: Project['db'], classes: string[]): number {
  beginRun(db, { runId: 'bench', backbone: 'bench', plan: { name: 'head only', stages: [] }, seed: 1, views: 0, auto: false })
  const id = saveModel(
    db,
    {
      backbone: 'bench',
      backboneSha256: 'bench',
      classes,
      plan: { name: 'head only', stages: [] },
      report: { valid: { accuracy: 0.9, loss: 0.3 }, epochs: [] },
      run: { runId: 'bench', seed: 1, views: 0, datasetSha256: 'bench' }
    },
    { topology: '{"modelTopology":{},"weightSpecs":[]}', weightData: Buffer.alloc(16) }
  )
  const rand = mulberry32(3)
  const images = db.prepare(`SELECT DISTINCT i.hash, c.name AS label FROM images i LEFT JOIN classes c ON c.id = i.class_id WHERE i.hash IS NOT NULL`).all() as { hash: string; label: string | null }[]
  const rows = images.map(({ hash, label }) => {
    const own = label === null ? Math.floor(rand() * classes.length) : classes.indexOf(label)
    const predicted = rand() < 0.125 ? (own + 1) % classes.length : own
    const confidence = 0.5 + 0.5 * rand()
    const probs = new Float32Array(classes.length).fill((1 - confidence) / Math.max(1, classes.length - 1))
    probs[predicted] = confidence
    return { hash, probs }
  })
  for (let i = 0; i < rows.length; i += 5000) writePredictions(db, id, classes, rows.slice(i, i + 5000))
  return id
}
