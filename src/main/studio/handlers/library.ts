import { exportTree } from '../../library/exportTree'
import { importFolder } from '../../library/importFolder'
import { listClasses } from '../../store/classes'
import { imageDetail, indexOfImage, queryImages } from '../../store/images'
import { projectStatus } from '../../store/status'
import type { Handlers } from '../context'
import { predictionModel } from './models'

export const libraryHandlers = {
  importFolder: async ({ root, validPct, seed }, studio) => {
    const project = studio.project()
    try {
      return await studio.jobs.run('import', (job) => importFolder(project, root, { validPct, seed }, job))
    } finally {
      studio.emit('libraryChanged', { reason: 'import' })
    }
  },
  projectStatus: (_args, studio) => projectStatus(studio.project().db),
  listClasses: (_args, studio) => listClasses(studio.project().db),
  queryImages: ({ filter, offset, limit }, studio) => queryImages(studio.project().db, filter, offset, limit, predictionModel(studio.project().db, filter)),
  indexOfImage: ({ id, filter }, studio) => ({ index: indexOfImage(studio.project().db, id, filter, predictionModel(studio.project().db, filter)) }),
  imageDetail: ({ id }, studio) => imageDetail(studio.project().db, id),
  exportClassTree: ({ dest, bySplit }, studio) => {
    const project = studio.project()
    return studio.jobs.run('export-tree', (job) => exportTree(project, dest, bySplit, job))
  }
} satisfies Partial<Handlers>
