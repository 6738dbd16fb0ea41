import { ThawError } from '../errors'
import type { Stage } from '../../shared/plan'
import type { LrFindResult } from '../../shared/types'
import type { TaskContext } from '../engine/protocol'
import { engine, projectDb } from '../engine/runtime'
import { labelledSet, trainingProblem } from './data/labelledSet'
import { findLr } from './lrFind'
import { Network } from './network'
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
  const net = await Network.open(args.backbone, [args.stage], data.classes.length)
  try {
    const inputs = setupStage(args.stage, { db, bb: net.bb, segment: net.segment, frozen: net.frozen, head: net.head, data, views: args.views, cacheKey: args.cache.key })
    return await findLr(inputs.model, inputs.data, args.stage, {
      steps: args.steps,
      signal: ctx.signal,
      onStep: async (i, n) => {
        ctx.progress(i, n, 'LR range test')
        await ctx.checkpoint()
      }
    })
  } finally {
    await net.dispose()
  }
}
