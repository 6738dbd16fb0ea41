import { exportTask } from '../../export/exportTask'
import { predictBundleTask } from '../../export/predictBundleTask'
import { precomputeShard } from '../../precompute/shard'
import { lrFindTask } from '../../training/lrFindTask'
import { predictTask } from '../../training/predictTask'
import { resumePlan, runPlan } from '../../training/runPlan'
import type { TaskHandler } from '../protocol'
import { duplicatesTask } from '../../embeddings/duplicatesTask'
import { mapTask } from '../../embeddings/mapTask'
import { similarTask } from '../../embeddings/similarTask'
import { suspectsTask } from '../../quality/suspectsTask'
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
  exportModel: exportTask,
  predictBundle: predictBundleTask,
  // data quality (#8 §3-5, §9): cached features as embeddings
  suspects: suspectsTask,
  duplicates: duplicatesTask,
  similar: similarTask,
  embeddingMap: mapTask
}
