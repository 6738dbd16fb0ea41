import type { ImageFilter, ModelDetail, ModelList, Prediction, ValidSummary } from '../../../shared/types'
import { ThawError } from '../../errors'
import { queryImages } from '../../store/images'
import type { Db } from '../../store/db'
import { setLabels } from '../../store/labels'
import { chooseModel, chosenModelId, deleteModel, listModels, modelMeta, modelRecord, modelReport, updateModel } from '../../training/modelStore'
import { predictAll } from '../../training/predictAll'
import { excludedIds, reportWithoutExcluded } from '../../training/excludedMetrics'
import { changedPredictions, countPredictions } from '../../training/predictionStore'
import { autoTrainer } from '../autoTrain'
import type { Handlers, StudioContext } from '../context'

/** The model whose predictions the grid shows and filters by: the chosen one. A prediction filter
 * without any model is refused with what to do. */
export function predictionModel(db: Db, filter: ImageFilter): number | null {
  const model = chosenModelId(db)
  if (model === null && (filter.disagrees || filter.confidenceBelow !== undefined || filter.order === 'margin')) {
    throw new ThawError('NO_MODEL', 'filtering by predictions needs a trained model: train one first')
  }
  return model
}

export function modelList(db: Db): ModelList {
  // accuracy and loss as the stored predictions give them without the images excluded since
  const excluded = excludedIds(db)
  const models = listModels(db).map((m) => {
    if (!m.usable || !m.valid || excluded.size === 0) return m
    const { valid } = reportWithoutExcluded(modelReport(db, m.id) as StoredReport, excluded)
    return valid ? { ...m, valid: { accuracy: valid.accuracy, loss: valid.loss } } : m
  })
  const chosen = models.find((m) => m.chosen)?.id ?? null
  const picked = (db.prepare(`SELECT value FROM meta WHERE key = 'chosen_model'`).pluck().get() as string | undefined) ?? null
  return { models, chosen, pickedByUser: chosen !== null && picked === String(chosen), totalBytes: models.reduce((n, m) => n + m.bytes, 0) }
}

type StoredReport = { valid?: ValidSummary; predictions?: Prediction[]; epochs?: ModelDetail['curves'] }

function detail(db: Db, id: number): ModelDetail {
  const record = modelRecord(db, id)
  const report = reportWithoutExcluded(modelReport(db, id) as StoredReport, excludedIds(db))
  const summary = record.usable ? (report.valid ?? null) : null
  return { ...record, valid: summary ? { accuracy: summary.accuracy, loss: summary.loss } : record.valid, summary, curves: report.epochs ?? [] }
}

/** Scores every image with a model (as a job, with progress); tells clients when it changed. */
async function scoreAll(s: StudioContext, modelId: number | undefined, withPredictions: boolean) {
  const project = s.project()
  const r = await s.jobs.run('predict', (job) => predictAll(project, s.engine(), { modelId, withPredictions }, job))
  if (r.computed > 0) s.emit('predictionsChanged', { modelId: r.model })
  return r
}

const changed = (s: StudioContext, reason: string): void => s.emit('modelsChanged', { reason })

export const modelHandlers = {
  listModels: (_args, s) => modelList(s.project().db),
  modelDetail: ({ id }, s) => detail(s.project().db, id),
  chooseModel: ({ id }, s) => {
    const db = s.project().db
    chooseModel(db, id)
    changed(s, 'chosen')
    s.emit('predictionsChanged', { modelId: id })
    return modelList(db)
  },
  updateModel: ({ id, name, note }, s) => {
    const db = s.project().db
    updateModel(db, id, { name, note })
    changed(s, 'renamed')
    return modelRecord(db, id)
  },
  deleteModel: ({ id }, s) => {
    const db = s.project().db
    const wasChosen = chosenModelId(db) === id
    const freedBytes = deleteModel(db, id)
    const chosen = chosenModelId(db)
    changed(s, 'deleted')
    if (wasChosen) s.emit('predictionsChanged', { modelId: chosen })
    return { deleted: id, freedBytes, chosen }
  },
  compareModels: async ({ a, b }, s) => {
    const db = s.project().db
    if (a === b) throw new ThawError('BAD_ARGS', 'compare two different models')
    for (const id of [a, b]) {
      const record = modelRecord(db, id)
      if (!record.usable) throw new ThawError('MODEL_NOT_USABLE', `model ${id} was interrupted before it kept any weights; there is nothing to compare`)
    }
    // a model kept before predictions existed (or a cancelled run) is scored on first compare
    for (const id of [a, b]) if (countPredictions(db, id) === 0) await scoreAll(s, id, false)
    return { a: detail(db, a), b: detail(db, b), ...changedPredictions(db, a, b) }
  },
  predictAll: ({ modelId, withPredictions }, s) => scoreAll(s, modelId, withPredictions),
  setAutoTrain: ({ enabled }, s) => autoTrainer(s).setEnabled(enabled),
  autoTrainState: (_args, s) => autoTrainer(s).state(),
  acceptPredictions: ({ ids, filter, minConfidence, modelId }, s) => {
    const db = s.project().db
    const meta = modelMeta(db, modelId)
    if (!meta) throw new ThawError('NO_MODEL', 'this project has no trained model yet: train one first')
    const targets = ids ?? allIds(db, filter!, meta.id)
    const r = setLabels(db, predictedLabels(db, meta.id, targets, minConfidence), 'accept predictions for')
    s.emit('libraryChanged', { reason: 'label' })
    return { changed: r.changed, skipped: targets.length - r.changed }
  }
} satisfies Partial<Handlers>

function allIds(db: Db, filter: ImageFilter, model: number): number[] {
  const page = queryImages(db, filter, 0, 1_000_000, model)
  return page.items.map((i) => i.id)
}

/** [image, class] for each image whose prediction (by `model`, at or above `minConfidence`)
 * names a class of the project other than its label. */
function predictedLabels(db: Db, model: number, ids: number[], minConfidence: number): [number, number][] {
  const get = db.prepare(
    `SELECT c.id AS classId, i.class_id AS current FROM images i JOIN model_predictions p ON p.model_id = ? AND p.hash = i.hash
     JOIN classes c ON c.name = p.predicted WHERE i.id = ? AND p.confidence >= ?`
  )
  const out: [number, number][] = []
  for (const id of ids) {
    const row = get.get(model, id, minConfidence) as { classId: number; current: number | null } | undefined
    if (row && row.current !== row.classId) out.push([id, row.classId])
  }
  return out
}
