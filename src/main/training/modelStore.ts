import type { Db } from '../store/db'
import { nowIso } from '../store/db'
import { packBlob, unpackBlob } from '../store/blob'
import type { ModelArtifacts } from './artifacts'

export interface StoredModelMeta {
  id: number
  createdAt: string
  backbone: string
  backboneSha256: string
  classes: string[]
  plan: unknown
  report: unknown
}

export function saveModel(db: Db, meta: Omit<StoredModelMeta, 'id' | 'createdAt'>, art: ModelArtifacts): number {
  const info = db
    .prepare('INSERT INTO models (created_at, backbone, backbone_sha256, classes, plan, report, weights) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run(
      nowIso(),
      meta.backbone,
      meta.backboneSha256,
      JSON.stringify(meta.classes),
      JSON.stringify(meta.plan),
      JSON.stringify(meta.report),
      packBlob(art.topology, art.weightData)
    )
  return Number(info.lastInsertRowid)
}

interface ModelRow {
  id: number
  created_at: string
  backbone: string
  backbone_sha256: string
  classes: string
  plan: string
  report: string
}

const toMeta = (r: ModelRow): StoredModelMeta => ({
  id: r.id,
  createdAt: r.created_at,
  backbone: r.backbone,
  backboneSha256: r.backbone_sha256,
  classes: JSON.parse(r.classes) as string[],
  plan: JSON.parse(r.plan) as unknown,
  report: JSON.parse(r.report) as unknown
})

/** The newest model, or a given one; null when the project has none. */
export function modelMeta(db: Db, id?: number): StoredModelMeta | null {
  const row = (
    id === undefined
      ? db.prepare('SELECT id, created_at, backbone, backbone_sha256, classes, plan, report FROM models ORDER BY id DESC LIMIT 1').get()
      : db.prepare('SELECT id, created_at, backbone, backbone_sha256, classes, plan, report FROM models WHERE id = ?').get(id)
  ) as ModelRow | undefined
  return row ? toMeta(row) : null
}

export function modelArtifacts(db: Db, id: number): ModelArtifacts {
  const blob = db.prepare('SELECT weights FROM models WHERE id = ?').pluck().get(id) as Buffer | undefined
  if (!blob) throw new Error(`no model ${id} in this project`)
  const { header, bytes } = unpackBlob(blob)
  return { topology: header, weightData: bytes }
}
