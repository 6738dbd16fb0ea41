// Per-image predictions of each model, keyed by content hash (an image's prediction does not
// change with its label or split, and copies of the same bytes share a row).
import type { ImagePrediction, ModelComparison, Split } from '../../shared/types'
import type { Db } from '../store/db'

export interface PredictionRow {
  hash: string
  probs: Float32Array
}

/** top-1 class, its probability, and top-1 minus top-2 (the margin: small = uncertain). */
export function summarize(probs: ArrayLike<number>): { best: number; confidence: number; margin: number } {
  let best = 0
  for (let j = 1; j < probs.length; j++) if (probs[j]! > probs[best]!) best = j
  let second = -Infinity
  for (let j = 0; j < probs.length; j++) if (j !== best && probs[j]! > second) second = probs[j]!
  const confidence = probs[best] ?? 0
  return { best, confidence, margin: probs.length > 1 ? confidence - second : confidence }
}

export function writePredictions(db: Db, modelId: number, classes: string[], rows: PredictionRow[]): void {
  const insert = db.prepare('INSERT OR REPLACE INTO model_predictions (model_id, hash, predicted, confidence, margin, probs) VALUES (?, ?, ?, ?, ?, ?)')
  db.transaction(() => {
    for (const r of rows) {
      const s = summarize(r.probs)
      insert.run(modelId, r.hash, classes[s.best]!, s.confidence, s.margin, Buffer.from(r.probs.buffer, r.probs.byteOffset, r.probs.byteLength))
    }
  })()
}

/** Usable images (one per content hash) the model has no prediction for yet. */
export function unscored(db: Db, modelId: number): { hash: string; path: string }[] {
  return db
    .prepare(
      `SELECT hash, min(path) AS path FROM images WHERE status = 'ok' AND hash IS NOT NULL
       AND hash NOT IN (SELECT hash FROM model_predictions WHERE model_id = ?) GROUP BY hash ORDER BY min(id)`
    )
    .all(modelId) as { hash: string; path: string }[]
}

export function countPredictions(db: Db, modelId: number): number {
  return db.prepare('SELECT count(*) FROM model_predictions WHERE model_id = ?').pluck().get(modelId) as number
}

const toProbs = (blob: Buffer): Float32Array => new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength))

/** Every usable image's prediction by a model, in image order (images it has not scored are
 * left out: the caller scores them first). */
export function readPredictions(db: Db, modelId: number, classes: string[]): ImagePrediction[] {
  const rows = db
    .prepare(
      `SELECT i.id, i.path, i.split, i.excluded, c.name AS label, p.predicted, p.confidence, p.margin, p.probs
       FROM images i JOIN model_predictions p ON p.model_id = ? AND p.hash = i.hash
       LEFT JOIN classes c ON c.id = i.class_id WHERE i.status = 'ok' ORDER BY i.id`
    )
    .all(modelId) as { id: number; path: string; split: Split; excluded: number; label: string | null; predicted: string; confidence: number; margin: number; probs: Buffer }[]
  return rows.map((r) => {
    const p = toProbs(r.probs)
    return {
      imageId: r.id,
      path: r.path,
      split: r.split,
      excluded: r.excluded === 1,
      label: r.label,
      predicted: r.predicted,
      confidence: r.confidence,
      margin: r.margin,
      probs: Object.fromEntries(classes.map((c, i) => [c, p[i] ?? 0]))
    }
  })
}

/** Images whose predicted class differs between two models, over the images both scored and
 * not excluded (an excluded image is out of every comparison and count). */
export function changedPredictions(db: Db, a: number, b: number): Pick<ModelComparison, 'changed' | 'compared'> {
  const compared = db
    .prepare(
      `SELECT count(*) FROM images i JOIN model_predictions pa ON pa.model_id = ? AND pa.hash = i.hash
       JOIN model_predictions pb ON pb.model_id = ? AND pb.hash = i.hash WHERE i.status = 'ok' AND i.excluded = 0`
    )
    .pluck()
    .get(a, b) as number
  const rows = db
    .prepare(
      `SELECT i.id, i.hash, i.path, i.split, c.name AS label, pa.predicted AS ap, pa.confidence AS ac, pb.predicted AS bp, pb.confidence AS bc
       FROM images i JOIN model_predictions pa ON pa.model_id = ? AND pa.hash = i.hash
       JOIN model_predictions pb ON pb.model_id = ? AND pb.hash = i.hash
       LEFT JOIN classes c ON c.id = i.class_id
       WHERE i.status = 'ok' AND i.excluded = 0 AND pa.predicted != pb.predicted ORDER BY i.id`
    )
    .all(a, b) as { id: number; hash: string; path: string; split: Split; label: string | null; ap: string; ac: number; bp: string; bc: number }[]
  return {
    compared,
    changed: rows.map((r) => ({
      imageId: r.id,
      hash: r.hash,
      path: r.path,
      split: r.split,
      label: r.label,
      a: { predicted: r.ap, confidence: r.ac },
      b: { predicted: r.bp, confidence: r.bc }
    }))
  }
}
