import path from 'node:path'
import { readBundleMeta } from '../../export/bundleFiles'
import { exportModel } from '../../export/exportModel'
import type { PredictBundleArgs } from '../../export/predictBundleTask'
import type { Handlers } from '../context'

export const exportHandlers = {
  exportModel: (args, s) => {
    const project = s.project()
    return s.jobs.run('export', (job) => exportModel(project, s.engine(), args, job), { exclusive: ['train'] })
  },
  predictBundle: ({ bundle, paths }, s) => {
    const dir = path.resolve(bundle)
    readBundleMeta(dir) // a clear error for a folder that is not a bundle, before any worker starts
    const args: PredictBundleArgs = { dir, paths: paths.map((p) => path.resolve(p)) }
    return s.engine().run('predictBundle', args)
  }
} satisfies Partial<Handlers>
