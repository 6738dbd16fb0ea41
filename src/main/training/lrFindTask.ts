import * as tf from '@tensorflow/tfjs'
import { ThawError } from '../errors'
import type { Stage } from '../../shared/plan'
import type { LrFindResult } from '../../shared/types'
import { buildSegment, frozenOnlyReason, type LoadedBackbone } from '../backbones'
import type { TaskContext } from '../engine/protocol'
import { engine, frozenParts, projectDb, segment as sharedSegment } from '../engine/runtime'
import { labelledSet, trainingProblem } from './dataset'
import { buildHead } from './head'
import { findLr } from './lrFind'
import { backboneForStages } from './ownBackbone'
import type { StageCache } from './runPlan'
import { setupStage } from './stageSetup'

export interface LrFindArgs {
  projectDir: string
  backbone: string
  stage: Stage
  views: number
  cache: StageCache
  steps: number
}

/** The LR range test for one stage, with that stage's freezing, on a fresh head. The test wrecks
 * the weights it trains on purpose: a thawing stage gets its own copy of the backbone. */
export async function lrFindTask(args: LrFindArgs, ctx: TaskContext): Promise<LrFindResult> {
  await engine()
  const db = projectDb(args.projectDir)
  const data = labelledSet(db)
  const problem = trainingProblem(data)
  if (problem) throw new ThawError('NOT_TRAINABLE', problem)
  const { bb, own } = await backboneForStages(args.backbone, [args.stage])
  const tfjsBb = bb.model ? (bb as LoadedBackbone) : null
  const segments: tf.LayersModel[] = []
  const segment = (from: string | null, to: string): tf.LayersModel => {
    if (!tfjsBb) throw new ThawError('BACKBONE_FROZEN_ONLY', frozenOnlyReason(bb.spec) ?? `${bb.spec.id} has no TF.js model`)
    if (!own) return sharedSegment(tfjsBb, from, to)
    const seg = buildSegment(tfjsBb.model, from, to)
    segments.push(seg)
    return seg
  }
  const head = buildHead(2 * bb.spec.featureShape[2], data.classes.length)
  const parts = frozenParts(bb, own, segment)
  try {
    const inputs = setupStage(args.stage, { db, bb, segment, frozen: parts.frozen, head, data, views: args.views, cacheKey: args.cache.key })
    return await findLr(inputs.model, inputs.data, args.stage, {
      steps: args.steps,
      signal: ctx.signal,
      onStep: async (i, n) => {
        ctx.progress(i, n, 'LR range test')
        await ctx.checkpoint()
      }
    })
  } finally {
    await parts.release()
    head.dispose()
    for (const seg of segments) seg.dispose()
    if (own) bb.model?.dispose()
  }
}
