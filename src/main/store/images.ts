import path from 'node:path'
import type { ImageDetail, ImageFilter, ImageItem, ImagePage, ImageStatus, Split } from '../../shared/types'
import { ThawError } from '../errors'
import type { Db } from './db'

interface ImageRow {
  id: number
  path: string
  rel_path: string
  hash: string | null
  bytes: number | null
  width: number | null
  height: number | null
  format: string | null
  class_id: number | null
  split: Split
  status: 'ok' | 'problem' | 'missing'
  reason: string | null
  imported_at: string
  updated_at: string
  dups: number
  excluded: number
  p_predicted?: string | null
  p_confidence?: number | null
  p_margin?: number | null
  p_disagrees?: number | null
}

// An image whose bytes appear more than once among usable images is a 'warning': either the
// same picture under two labels (label noise) or in train and valid (a leak). Counted by
// triggers (hash_counts), so relabelling one copy or deleting a file needs no bookkeeping here.
const DUPS = `(coalesce((SELECT h.n FROM hash_counts h WHERE h.hash = i.hash), 0) - 1)`
const DUP_HASHES = `(SELECT hash FROM hash_counts WHERE n > 1)`

// The chosen model's prediction of each image (by content hash), for badges and filters; the
// model id is the first parameter of every query that joins it.
const PREDICTION_JOIN = 'LEFT JOIN model_predictions p ON p.model_id = ? AND p.hash = i.hash'
const LABEL_NAME = '(SELECT name FROM classes WHERE id = i.class_id)'
const PREDICTION_COLUMNS = `p.predicted AS p_predicted, p.confidence AS p_confidence, p.margin AS p_margin,
  (i.class_id IS NOT NULL AND p.predicted IS NOT NULL AND p.predicted != ${LABEL_NAME}) AS p_disagrees`

function whereClause(filter: ImageFilter): { sql: string; params: unknown[] } {
  const parts: string[] = []
  const params: unknown[] = []
  if (filter.disagrees) parts.push(`(i.class_id IS NOT NULL AND p.predicted IS NOT NULL AND p.predicted != ${LABEL_NAME})`)
  if (filter.confidenceBelow !== undefined) {
    parts.push('p.confidence < ?')
    params.push(filter.confidenceBelow)
  }
  if (filter.classId === 'unlabelled') parts.push('i.class_id IS NULL')
  else if (filter.classId !== undefined) {
    parts.push('i.class_id = ?')
    params.push(filter.classId)
  }
  if (filter.split) {
    parts.push('i.split = ?')
    params.push(filter.split)
  }
  const status = filter.status ?? 'any'
  if (status === 'ok') parts.push(`i.status = 'ok' AND i.excluded = 0`)
  else if (status === 'excluded') parts.push(`i.excluded = 1`)
  else if (status === 'problem') parts.push(`i.status IN ('problem', 'missing')`)
  else if (status === 'issues') parts.push(`(i.status IN ('problem', 'missing') OR i.hash IN ${DUP_HASHES})`)
  if (filter.search?.trim()) {
    parts.push(`i.rel_path LIKE ? ESCAPE '\\'`)
    params.push(`%${filter.search.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`)
  }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params }
}

function statusOf(row: ImageRow): ImageStatus {
  if (row.status !== 'ok') return row.status
  return row.dups > 0 ? 'warning' : 'ok'
}

function toItem(row: ImageRow): ImageItem {
  const status = statusOf(row)
  return {
    id: row.id,
    hash: row.hash,
    name: row.rel_path,
    classId: row.class_id,
    split: row.split,
    status,
    excluded: row.excluded === 1,
    reason: status === 'warning' ? `same bytes as ${row.dups} other image${row.dups > 1 ? 's' : ''}` : row.reason,
    prediction:
      row.p_predicted === null || row.p_predicted === undefined
        ? null
        : { predicted: row.p_predicted, confidence: row.p_confidence!, margin: row.p_margin!, disagrees: row.p_disagrees === 1 }
  }
}

const SELECT = `SELECT i.*, CASE WHEN i.hash IS NULL OR i.status != 'ok' THEN 0 ELSE ${DUPS} END AS dups FROM images i`
const SELECT_WITH_PREDICTION = `SELECT i.*, CASE WHEN i.hash IS NULL OR i.status != 'ok' THEN 0 ELSE ${DUPS} END AS dups, ${PREDICTION_COLUMNS}
  FROM images i ${PREDICTION_JOIN}`

/** Unscored images (no margin) sort after every scored one: margins are at most 1. */
const MARGIN = 'coalesce(p.margin, 2)'
const orderBy = (filter: ImageFilter): string => (filter.order === 'margin' ? `ORDER BY ${MARGIN}, i.id` : 'ORDER BY i.id')

/** A page of images under a filter. `model` is the model whose predictions the items carry and
 * the prediction filters use (the chosen one; null when there is none). */
export function queryImages(db: Db, filter: ImageFilter, offset: number, limit: number, model: number | null = null): ImagePage {
  const where = whereClause(filter)
  if (usesPredictions(filter)) {
    const total = (db.prepare(`SELECT count(*) AS n FROM images i ${PREDICTION_JOIN} ${where.sql}`).get(model, ...where.params) as { n: number }).n
    const rows = db
      .prepare(`${SELECT_WITH_PREDICTION} ${where.sql} ${orderBy(filter)} LIMIT ? OFFSET ?`)
      .all(model, ...where.params, limit, offset) as ImageRow[]
    return { total, offset, items: rows.map(toItem) }
  }
  // The filter is on the images alone: count and page them without the predictions, then join
  // the page's predictions only. Joining first probes model_predictions for every row an OFFSET
  // skips: 430-570 ms a page deep in 100,000 images with a model, against 47 ms without one.
  const total = (db.prepare(`SELECT count(*) AS n FROM images i ${where.sql}`).get(...where.params) as { n: number }).n
  const rows = db
    .prepare(
      `SELECT i.*, CASE WHEN i.hash IS NULL OR i.status != 'ok' THEN 0 ELSE ${DUPS} END AS dups, ${PREDICTION_COLUMNS}
       FROM (SELECT * FROM images i ${where.sql} ORDER BY i.id LIMIT ? OFFSET ?) i ${PREDICTION_JOIN} ORDER BY i.id`
    )
    .all(...where.params, limit, offset, model) as ImageRow[]
  return { total, offset, items: rows.map(toItem) }
}

/** Filters and orders that read the model's predictions (the others need them only to show). */
const usesPredictions = (filter: ImageFilter): boolean => !!filter.disagrees || filter.confidenceBelow !== undefined || filter.order === 'margin'

export function indexOfImage(db: Db, id: number, filter: ImageFilter, model: number | null = null): number | null {
  const where = whereClause(filter)
  const and = where.sql ? `${where.sql} AND` : 'WHERE'
  if (!usesPredictions(filter)) {
    // as in queryImages: a filter on the images alone counts without probing the predictions
    if (!db.prepare(`SELECT 1 FROM images i ${and} i.id = ?`).get(...where.params, id)) return null
    return (db.prepare(`SELECT count(*) AS n FROM images i ${and} i.id < ?`).get(...where.params, id) as { n: number }).n
  }
  const inFilter = db.prepare(`SELECT ${MARGIN} AS m FROM images i ${PREDICTION_JOIN} ${and} i.id = ?`).get(model, ...where.params, id) as
    | { m: number }
    | undefined
  if (!inFilter) return null
  const before =
    filter.order === 'margin'
      ? (db
          .prepare(`SELECT count(*) AS n FROM images i ${PREDICTION_JOIN} ${and} (${MARGIN} < ? OR (${MARGIN} = ? AND i.id < ?))`)
          .get(model, ...where.params, inFilter.m, inFilter.m, id) as { n: number })
      : (db.prepare(`SELECT count(*) AS n FROM images i ${PREDICTION_JOIN} ${and} i.id < ?`).get(model, ...where.params, id) as { n: number })
  return before.n
}

export function imageDetail(db: Db, id: number): ImageDetail {
  const row = db.prepare(`${SELECT} WHERE i.id = ?`).get(id) as ImageRow | undefined
  if (!row) throw new ThawError('NO_SUCH_IMAGE', `there is no image with id ${id}`)
  const duplicates = row.hash
    ? (db
        .prepare(`SELECT id, path, class_id AS classId FROM images INDEXED BY images_hash WHERE hash = ? AND id != ? AND status = 'ok' ORDER BY id`)
        .all(row.hash, id) as ImageDetail['duplicates'])
    : []
  const item = toItem(row)
  if (item.status === 'warning') {
    item.reason = `same bytes as ${duplicates.map((d) => path.basename(d.path)).join(', ')}`
  }
  return {
    ...item,
    path: row.path,
    bytes: row.bytes,
    width: row.width,
    height: row.height,
    format: row.format,
    importedAt: row.imported_at,
    updatedAt: row.updated_at,
    duplicates
  }
}

export function imagePath(db: Db, id: number): { path: string; hash: string | null; status: string } {
  const row = db.prepare('SELECT path, hash, status FROM images WHERE id = ?').get(id) as
    | { path: string; hash: string | null; status: string }
    | undefined
  if (!row) throw new ThawError('NO_SUCH_IMAGE', `there is no image with id ${id}`)
  return row
}

/** Throws unless every id names an image; returns them deduplicated. */
export function requireImages(db: Db, ids: number[]): number[] {
  const unique = [...new Set(ids)]
  const found = new Set<number>()
  const stmt = db.prepare('SELECT id FROM images WHERE id = ?').pluck()
  for (const id of unique) if (stmt.get(id) !== undefined) found.add(id)
  const missing = unique.filter((id) => !found.has(id))
  if (missing.length) {
    throw new ThawError('NO_SUCH_IMAGE', `no image with id ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`)
  }
  return unique
}
