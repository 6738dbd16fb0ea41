// Predictions on every usable image (issue #8 §2), orchestrated from the studio's side: the
// images missing from the cache are precomputed first (with progress), then an engine worker
// scores what the model has not scored yet, and the stored predictions are read back.
import type { Plan } from '../../shared/plan'
import { firstThawedGroup } from '../../shared/schedules'
import type { PredictAllResult } from '../../shared/types'
import type { BackboneSpec } from '../backbones'
import type { EnginePool } from '../engine/pool'
import { ThawError } from '../errors'
import type { JobContext } from '../jobs/jobs'
import { findSet, type ActivationSet } from '../precompute/activationStore'
import { activationKey, precompute } from '../precompute/precompute'
import type { Project } from '../project/project'
import { modelMeta } from './modelStore'
import type { PredictAllArgs, PredictAllTaskResult } from './predictAllTask'
import { readPredictions, unscored } from './predictionStore'

/** A model whose plan never thawed a backbone group has the published backbone inside: its
 * cached pooled features are exactly what its head saw. */
export function keepsBackboneFrozen(plan: Pick<Plan, 'stages'>, spec: Pick<BackboneSpec, 'groups'>): boolean {
  const groups = spec.groups.length + 1
  return plan.stages.every((s) => firstThawedGroup(s.freezeTo, groups) >= groups - 1)
}

/** Scores every usable image with a model (the chosen one by default) and returns them all. */
export async function predictAll(
  project: Project,
  pool: EnginePool,
  opts: { modelId?: number | undefined; withPredictions?: boolean },
  job: JobContext
): Promise<PredictAllResult> {
  const started = Date.now()
  const meta = modelMeta(project.db, opts.modelId)
  if (!meta) throw new ThawError('NO_MODEL', 'this project has no trained model yet: train one first (thaw train <project>)')
  const spec = (meta.report as { spec: BackboneSpec }).spec
  const before = unscored(project.db, meta.id).length
  let cache: ActivationSet | null = null
  if (before > 0 && keepsBackboneFrozen(meta.plan as Plan, spec)) {
    const d = await pool.run('describe', { backbone: spec.id }, { signal: job.signal })
    // weights changed since the model was trained: the cache no longer matches, use the images
    if (d.sha256 === meta.backboneSha256) {
      await precompute(project, pool, { backbone: spec.id, views: 0, layer: spec.featureLayer, reduce: 'concat-pool' }, job)
      cache = findSet(project.db, activationKey(d, spec.featureLayer, 'concat-pool'))
    }
  }
  let r: PredictAllTaskResult = { computed: 0, failed: [], source: 'cache' }
  if (before > 0) {
    const args: PredictAllArgs = { projectDir: project.dir, modelId: meta.id, cache }
    r = await pool.run('predictAll', args, {
      signal: job.signal,
      onProgress: (done, total, message) => job.progress(done, total, message)
    })
  }
  job.throwIfCancelled()
  return {
    model: meta.id,
    computed: r.computed,
    reused: before === 0 ? countUsableHashes(project) : countUsableHashes(project) - before,
    failed: r.failed,
    source: r.source,
    ms: Date.now() - started,
    predictions: opts.withPredictions === false ? [] : readPredictions(project.db, meta.id, meta.classes)
  }
}

function countUsableHashes(project: Project): number {
  return project.db.prepare(`SELECT count(DISTINCT hash) FROM images WHERE status = 'ok' AND hash IS NOT NULL`).pluck().get() as number
}
