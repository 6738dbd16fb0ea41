import type { Stage } from '../../shared/plan'
import type { TaskContext } from '../engine/protocol'
import { backbone, engine, projectDb, segment } from '../engine/runtime'
import type { ActivationSetKey } from '../precompute/activationStore'
import { labelledSet, trainingProblem } from './dataset'
import { buildHead } from './head'
import type { LrFindResult } from '../../shared/types'
import { findLr } from './lrFind'
import { setupStage } from './stageSetup'

export interface LrFindArgs {
  projectDir: string
  backbone: string
  stage: Stage
  views: number
  precompute: boolean
  featureKey: ActivationSetKey
}

/** The LR range test for one stage, with that stage's freezing, on a fresh head. */
export async function lrFindTask(args: LrFindArgs, ctx: TaskContext): Promise<LrFindResult> {
  await engine()
  const bb = await backbone(args.backbone)
  const db = projectDb(args.projectDir)
  const data = labelledSet(db)
  const problem = trainingProblem(data)
  if (problem) throw new Error(problem)
  const head = buildHead(2 * bb.spec.featureShape[2], data.classes.length)
  try {
    const trunk = segment(bb, null, bb.spec.featureLayer)
    const inputs = setupStage(args.stage, { db, bb, trunk, head, data, views: args.views, precompute: args.precompute, featureKey: args.featureKey })
    return await findLr(inputs.model, inputs.data, args.stage, {
      signal: ctx.signal,
      onStep: async (i, n) => {
        ctx.progress(i, n, 'LR range test')
        await ctx.checkpoint()
      }
    })
  } finally {
    head.dispose()
  }
}
