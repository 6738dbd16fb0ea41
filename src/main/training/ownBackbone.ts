import { ThawError } from '../errors'
import type { Stage } from '../../shared/plan'
import { frozenOnlyReason, loadBackbone, resolveBackboneSpec, type LoadedBackbone, type LoadedOnnxBackbone } from '../backbones'
import { backbone, onnxBackbone } from '../engine/runtime'
import { firstThawedGroup } from '../../shared/schedules'

/** An imported ONNX backbone as a training run holds it: its file and spec, no TF.js model
 * (nothing in it trains; its features come from ONNX Runtime or the cache). */
export type FrozenOnlyBackbone = LoadedOnnxBackbone & { model: null }
export type StageBackbone = LoadedBackbone | FrozenOnlyBackbone

/** Stages that thaw backbone groups change its weights in place: they get their own copy, so the
 * worker's shared backbone (used by precompute and prediction) keeps the published weights that
 * its cache keys name. The caller disposes an own copy. An imported ONNX backbone never thaws:
 * a stage asking it to is refused with the reason. */
export async function backboneForStages(id: string, stages: Pick<Stage, 'freezeTo'>[]): Promise<{ bb: StageBackbone; own: boolean }> {
  const spec = await resolveBackboneSpec(id)
  if (spec.source.kind === 'onnx') {
    const thawing = stages.findIndex((s) => s.freezeTo !== -1)
    if (thawing >= 0) throw new ThawError('BAD_PLAN', `stage ${thawing + 1} would thaw the backbone: ${frozenOnlyReason(spec)} (use freezeTo -1)`)
    return { bb: { ...(await onnxBackbone(id)), model: null }, own: false }
  }
  const shared = await backbone(id)
  const groups = shared.spec.groups.length + 1
  const thaws = stages.some((s) => firstThawedGroup(s.freezeTo, groups) < groups - 1)
  if (!thaws) return { bb: shared, own: false }
  const own = await loadBackbone(id, { download: false })
  if (own.source.sha256 !== shared.source.sha256) throw new ThawError('BACKBONE_CHANGED', `the ${id} weights changed on disk during the run`)
  return { bb: own, own: true }
}
