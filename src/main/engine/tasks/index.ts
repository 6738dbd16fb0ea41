import { exportTask } from '../../export/exportTask'
import { predictBundleTask } from '../../export/predictBundleTask'
import { precomputeShard } from '../../precompute/shard'
import { lrFindTask } from '../../training/lrFindTask'
import { predictTask } from '../../training/predictTask'
import { predictAllTask } from '../../training/predictAllTask'
import { resumePlan, runPlan } from '../../training/runPlan'
import type { TaskHandler } from '../protocol'
import { describeBackbone } from './describe'
import { backboneList, engineInfo, importBackbone } from './info'

/** Every task an engine worker can run, by name. */
export const taskHandlers: Record<string, TaskHandler<never, unknown>> = {
  describe: describeBackbone,
  engineInfo,
  listBackbones: backboneList,
  importBackbone,
  precompute: precomputeShard,
  train: runPlan,
  resume: resumePlan,
  lrFind: lrFindTask,
  predict: predictTask,
  predictAll: predictAllTask,
  exportModel: exportTask,
  predictBundle: predictBundleTask
}
