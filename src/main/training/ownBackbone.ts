import { ThawError } from '../errors'
import type { Stage } from '../../shared/plan'
import { loadBackbone, type LoadedBackbone } from '../backbones'
import { backbone } from '../engine/runtime'
import { firstThawedGroup } from '../../shared/schedules'

/** Stages that thaw backbone groups change its weights in place: they get their own copy, so the
 * worker's shared backbone (used by precompute and prediction) keeps the published weights that
 * its cache keys name. The caller disposes an own copy. */
export async function backboneForStages(id: string, stages: Pick<Stage, 'freezeTo'>[]): Promise<{ bb: LoadedBackbone; own: boolean }> {
  const shared = await backbone(id)
  const groups = shared.spec.groups.length + 1
  const thaws = stages.some((s) => firstThawedGroup(s.freezeTo, groups) < groups - 1)
  if (!thaws) return { bb: shared, own: false }
  const own = await loadBackbone(id, { download: false })
  if (own.source.sha256 !== shared.source.sha256) throw new ThawError('BACKBONE_CHANGED', `the ${id} weights changed on disk during the run`)
  return { bb: own, own: true }
}
