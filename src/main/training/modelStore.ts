// Models as numbered records: every run is kept (finished, cancelled with its best weights,
// interrupted and resumed), with its plan, seed, digests, curves and per-image predictions.
// Nothing here replaces a record: a run fills in the one it began, and only the user deletes.
import type { ModelRecord, ModelStatus } from '../../shared/types'
import { ThawError } from '../errors'
import { packBlob, unpackBlob } from '../store/blob'
import type { Db } from '../store/db'
import { nowIso } from '../store/db'
import type { ModelArtifacts } from './artifacts'
import { cannotChoose, chosenModel, staleAutoRuns, type ModelFacts } from './chosenModel'

export interface StoredModelMeta {
  id: number
  createdAt: string
  backbone: string
  backboneSha256: string
  classes: string[]
  plan: unknown
  report: unknown
}

/** What a run knows of itself when it keeps its weights. */
export interface RunFacts {
  runId: string
  seed: number
  views: number
  datasetSha256: string
}

const PICKED = 'chosen_model'

/** Keeps a run's weights in its record: the one begun for `run.runId` (by `beginRun`, or by an
 * earlier attempt a resume continues), else a new record. Returns the model id. */
export function saveModel(db: Db, meta: Omit<StoredModelMeta, 'id' | 'createdAt'> & { run?: RunFacts }, art: ModelArtifacts): number {
  const status: ModelStatus = (meta.report as { cancelled?: boolean }).cancelled ? 'cancelled' : 'finished'
  const values = {
    backbone: meta.backbone,
    sha: meta.backboneSha256,
    classes: JSON.stringify(meta.classes),
    plan: JSON.stringify(meta.plan),
    report: JSON.stringify(meta.report),
    weights: packBlob(art.topology, art.weightData),
    status,
    runId: meta.run?.runId ?? null,
    seed: meta.run?.seed ?? null,
    views: meta.run?.views ?? (meta.report as { views?: number }).views ?? null,
    dataset: meta.run?.datasetSha256 ?? null
  }
  return db.transaction(() => {
    const existing = values.runId === null ? undefined : (db.prepare('SELECT id FROM models WHERE run_id = ?').pluck().get(values.runId) as number | undefined)
    if (existing !== undefined) {
      db.prepare(
        `UPDATE models SET backbone = @backbone, backbone_sha256 = @sha, classes = @classes, plan = @plan, report = @report, weights = @weights,
         status = @status, seed = coalesce(@seed, seed), views = @views, dataset_sha256 = coalesce(@dataset, dataset_sha256) WHERE id = ${existing}`
      ).run(values)
      return existing
    }
    const info = db
      .prepare(
        `INSERT INTO models (created_at, backbone, backbone_sha256, classes, plan, report, weights, status, run_id, seed, views, dataset_sha256)
         VALUES (@createdAt, @backbone, @sha, @classes, @plan, @report, @weights, @status, @runId, @seed, @views, @dataset)`
      )
      .run({ ...values, createdAt: nowIso() })
    return Number(info.lastInsertRowid)
  })()
}

/** The record of a run that is starting: it shows as interrupted (no weights) until the run
 * keeps weights, so a killed run still leaves its trace. */
export function beginRun(db: Db, run: { runId: string; backbone: string; plan: unknown; seed: number; views: number; auto: boolean }): number {
  const info = db
    .prepare(
      `INSERT INTO models (created_at, backbone, backbone_sha256, classes, plan, report, weights, status, run_id, seed, views, auto)
       VALUES (?, ?, '', '[]', ?, '{}', x'', 'interrupted', ?, ?, ?, ?)`
    )
    .run(nowIso(), run.backbone, JSON.stringify(run.plan), run.runId, run.seed, run.views, run.auto ? 1 : 0)
  return Number(info.lastInsertRowid)
}

/** A resumed run continues its own record, noting where it picked up. An interrupted run from a
 * studio that kept no record gets one now. */
export function continueRun(db: Db, run: { runId: string; backbone: string; plan: unknown; seed: number; views: number }, from: { stageIndex: number; epochsDone: number }): number {
  const note = JSON.stringify({ runId: run.runId, ...from })
  const existing = db.prepare('SELECT id FROM models WHERE run_id = ?').pluck().get(run.runId) as number | undefined
  const id = existing ?? beginRun(db, { ...run, auto: false })
  db.prepare('UPDATE models SET continued_from = ? WHERE id = ?').run(note, id)
  return id
}

/** Forgets a run's record when it ended before keeping anything (failed or cancelled before its
 * first epoch): there is nothing to compare, resume or export. */
export function dropEmptyRun(db: Db, runId: string): void {
  db.prepare(
    `DELETE FROM models WHERE run_id = ? AND length(weights) = 0 AND NOT EXISTS (SELECT 1 FROM checkpoints WHERE run_id = ?)`
  ).run(runId, runId)
}

interface ModelRow {
  id: number
  created_at: string
  backbone: string
  backbone_sha256: string
  classes: string
  plan: string
  report: string
  run_id: string | null
  status: ModelStatus
  auto: number
  name: string | null
  note: string
  seed: number | null
  views: number | null
  dataset_sha256: string | null
  continued_from: string | null
  weight_bytes: number
  prediction_bytes: number
}

const COLUMNS = `id, created_at, backbone, backbone_sha256, classes, plan, report, run_id, status, auto, name, note, seed, views, dataset_sha256,
  continued_from, length(weights) AS weight_bytes,
  (SELECT coalesce(sum(length(probs) + length(hash) + 24), 0) FROM model_predictions p WHERE p.model_id = models.id) AS prediction_bytes`

const toMeta = (r: ModelRow): StoredModelMeta => ({
  id: r.id,
  createdAt: r.created_at,
  backbone: r.backbone,
  backboneSha256: r.backbone_sha256,
  classes: JSON.parse(r.classes) as string[],
  plan: JSON.parse(r.plan) as unknown,
  report: JSON.parse(r.report) as unknown
})

const facts = (r: Pick<ModelRow, 'id' | 'status' | 'auto' | 'weight_bytes'>): ModelFacts => ({
  id: r.id,
  status: r.status,
  auto: r.auto === 1,
  usable: r.weight_bytes > 0
})

function allFacts(db: Db): ModelFacts[] {
  return (db.prepare('SELECT id, status, auto, length(weights) AS weight_bytes FROM models').all() as ModelRow[]).map(facts)
}

export function pickedModel(db: Db): number | null {
  const v = db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(PICKED) as string | undefined
  return v === undefined ? null : Number(v)
}

/** The chosen model's id (the user's pick, else the newest finished run), or null. */
export function chosenModelId(db: Db): number | null {
  return chosenModel(allFacts(db), pickedModel(db))
}

/** A usable model's metadata: the one named, else the chosen one. Unknown ids and runs without
 * weights are errors with their own codes; no model at all is NO_MODEL. */
export function modelMeta(db: Db, id?: number): StoredModelMeta | null {
  const want = id ?? chosenModelId(db)
  if (want === null) return null
  const row = db.prepare(`SELECT ${COLUMNS} FROM models WHERE id = ?`).get(want) as ModelRow | undefined
  if (!row) throw new ThawError('UNKNOWN_MODEL', `there is no model ${want} in this project (thaw models <project> lists them)`)
  if (row.weight_bytes === 0) throw new ThawError('MODEL_NOT_USABLE', cannotChoose(facts(row), want)!)
  return toMeta(row)
}

export function modelArtifacts(db: Db, id: number): ModelArtifacts {
  const blob = db.prepare('SELECT weights FROM models WHERE id = ?').pluck().get(id) as Buffer | undefined
  if (!blob) throw new ThawError('UNKNOWN_MODEL', `there is no model ${id} in this project`)
  if (blob.length === 0) throw new ThawError('MODEL_NOT_USABLE', `model ${id} has no weights yet`)
  const { header, bytes } = unpackBlob(blob)
  return { topology: header, weightData: bytes }
}

interface ReportFields {
  valid?: { accuracy: number; loss: number }
  epochs?: unknown[]
}

function toRecord(r: ModelRow, chosen: number | null): ModelRecord {
  const report = JSON.parse(r.report) as ReportFields
  const plan = JSON.parse(r.plan) as { name?: string }
  const usable = r.weight_bytes > 0
  return {
    id: r.id,
    name: r.name ?? `Model ${r.id}`,
    note: r.note,
    status: r.status,
    auto: r.auto === 1,
    chosen: r.id === chosen,
    usable,
    createdAt: r.created_at,
    plan,
    planName: plan.name ?? 'plan',
    seed: r.seed,
    views: r.views,
    backbone: r.backbone,
    backboneSha256: r.backbone_sha256,
    datasetSha256: r.dataset_sha256,
    valid: usable && report.valid ? { accuracy: report.valid.accuracy, loss: report.valid.loss } : null,
    epochs: report.epochs?.length ?? 0,
    continuedFrom: r.continued_from ? (JSON.parse(r.continued_from) as ModelRecord['continuedFrom']) : null,
    bytes: r.weight_bytes + r.prediction_bytes
  }
}

/** Every record, newest first. */
export function listModels(db: Db): ModelRecord[] {
  const rows = db.prepare(`SELECT ${COLUMNS} FROM models ORDER BY id DESC`).all() as ModelRow[]
  const chosen = chosenModel(rows.map(facts), pickedModel(db))
  return rows.map((r) => toRecord(r, chosen))
}

export function modelRecord(db: Db, id: number): ModelRecord {
  const row = db.prepare(`SELECT ${COLUMNS} FROM models WHERE id = ?`).get(id) as ModelRow | undefined
  if (!row) throw new ThawError('UNKNOWN_MODEL', `there is no model ${id} in this project (thaw models <project> lists them)`)
  return toRecord(row, chosenModelId(db))
}

/** The full report kept with a model (curves, confusion...), or null for a run without weights. */
export function modelReport(db: Db, id: number): unknown {
  return JSON.parse(db.prepare('SELECT report FROM models WHERE id = ?').pluck().get(id) as string) as unknown
}

/** The user's pick. Any model with weights may be picked, a cancelled or auto one too: the rule
 * against them is only that they never become chosen by themselves. */
export function chooseModel(db: Db, id: number): void {
  const f = allFacts(db).find((m) => m.id === id)
  const why = cannotChoose(f, id)
  if (why) throw new ThawError(f ? 'MODEL_NOT_USABLE' : 'UNKNOWN_MODEL', why)
  db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(PICKED, String(id))
}

export function updateModel(db: Db, id: number, change: { name?: string | undefined; note?: string | undefined }): void {
  modelRecord(db, id) // unknown ids fail before anything changes
  db.transaction(() => {
    if (change.name !== undefined) db.prepare('UPDATE models SET name = ? WHERE id = ?').run(change.name.trim() || null, id)
    if (change.note !== undefined) db.prepare('UPDATE models SET note = ? WHERE id = ?').run(change.note, id)
  })()
}

/** Deletes a model, its predictions and (if it was the user's pick) the pick, so the rule picks
 * again. Returns the bytes it held. Freed pages go back to the file (incremental auto-vacuum)
 * in projects made with it, and are reused by the next writes in older ones. */
export function deleteModel(db: Db, id: number): number {
  const record = modelRecord(db, id)
  db.transaction(() => {
    db.prepare('DELETE FROM model_predictions WHERE model_id = ?').run(id)
    db.prepare('DELETE FROM models WHERE id = ?').run(id)
    if (pickedModel(db) === id) db.prepare('DELETE FROM meta WHERE key = ?').run(PICKED)
  })()
  if ((db.pragma('auto_vacuum', { simple: true }) as number) === 2) db.pragma('incremental_vacuum')
  return record.bytes
}

/** After an auto run keeps its weights: marks it, and deletes the older auto runs (only the
 * latest is kept, unless the user picked one). */
export function keepLatestAutoRun(db: Db): number[] {
  const stale = staleAutoRuns(allFacts(db), pickedModel(db))
  for (const id of stale) deleteModel(db, id)
  return stale
}
