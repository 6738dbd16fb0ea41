// The engine task table: every task an engine worker can run, by name. Runs in the workers only
// (the main thread imports it as a type: see ../protocol.ts).
//
// To add a task: write `export async function myTask(args: MyArgs, ctx: TaskContext<MyEvent>):
// Promise<MyResult>` in the worker-side module of your feature (ctx is optional; MyEvent only if
// it calls ctx.emit), add one line below, and call `pool.run('myTask', args, opts)` from the main
// thread: the name, the arguments, the result and the events are all checked by tsc.
import { exportTask } from '../../export/exportTask'
import { predictBundleTask } from '../../export/predictBundleTask'
import { precomputeShard } from '../../precompute/shard'
import { lrFindTask } from '../../training/lrFindTask'
import { predictTask } from '../../training/predictTask'
import { predictAllTask } from '../../training/predictAllTask'
import { resumePlan, runPlan } from '../../training/runPlan'
import type { AnyTaskHandler } from '../protocol'
import { duplicatesTask } from '../../embeddings/duplicatesTask'
import { mapTask } from '../../embeddings/mapTask'
import { similarTask } from '../../embeddings/similarTask'
import { suspectsTask } from '../../quality/suspectsTask'
import { describeBackbone } from './describe'
import { backboneList, engineInfo, importBackbone } from './info'

export const taskHandlers = {
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
  predictBundle: predictBundleTask,
  // data quality (#8 §3-5, §9): cached features as embeddings
  suspects: suspectsTask,
  duplicates: duplicatesTask,
  similar: similarTask,
  embeddingMap: mapTask
} satisfies Record<string, AnyTaskHandler>
