import { precomputeShard } from '../../precompute/shard'
import type { TaskHandler } from '../protocol'
import { describeBackbone } from './describe'
import { backboneList, engineInfo } from './info'

/** Every task an engine worker can run, by name. */
export const taskHandlers: Record<string, TaskHandler<never, unknown>> = {
  describe: describeBackbone,
  engineInfo,
  listBackbones: backboneList,
  precompute: precomputeShard
}
