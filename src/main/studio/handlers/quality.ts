import path from 'node:path'
import fs from 'node:fs'
import { embeddingCache, requireComplete, similarImages } from '../../embeddings'
import type { DuplicatesArgs } from '../../embeddings/duplicatesTask'
import type { MapArgs } from '../../embeddings/mapTask'
import { ThawError } from '../../errors'
import { findSuspects, suspectQueue } from '../../quality/suspects'
import * as labels from '../../store/labels'
import type { Handlers, StudioContext } from '../context'

function changed<T>(studio: StudioContext, reason: string, result: T): T {
  studio.emit('libraryChanged', { reason })
  return result
}

export const qualityHandlers = {
  findSuspects: ({ folds, seed }, s) => {
    const project = s.project()
    return s.jobs.run('suspects', (job) => findSuspects(project, s.engine(), { folds, seed }, job), { exclusive: ['precompute'] })
  },
  suspectQueue: (_args, s) => suspectQueue(s.project().db),
  keepLabels: ({ ids }, s) => changed(s, 'review', labels.keepLabels(s.project().db, ids)),
  setExcluded: ({ ids, excluded }, s) => changed(s, 'exclude', labels.setExcluded(s.project().db, ids, excluded)),
  findDuplicates: ({ threshold }, s) => {
    const project = s.project()
    return s.jobs.run(
      'duplicates',
      async (job) => {
        const cache = requireComplete(await embeddingCache(project, s.engine(), job.signal))
        const args: DuplicatesArgs = { projectDir: project.dir, key: cache.key, threshold }
        return s.engine().run('duplicates', args, { signal: job.signal, onProgress: (d, t, m) => job.progress(d, t, m) })
      },
      { exclusive: ['precompute'] }
    )
  },
  similarImages: async ({ imageId, path: file, k, splits, includeExcluded }, s) => {
    const project = s.project()
    if (file !== undefined) {
      const abs = path.resolve(file)
      if (!fs.existsSync(abs)) throw new ThawError('NOT_FOUND', `no such image: ${abs}`)
      if (!fs.statSync(abs).isFile()) throw new ThawError('NOT_A_FILE', `${abs} is not an image file`)
    }
    const query = imageId !== undefined ? { imageId } : { path: path.resolve(file!) }
    return similarImages(project, s.engine(), query, { k, includeExcluded, ...(splits ? { splits } : {}) })
  },
  embeddingMap: ({ method, seed }, s) => {
    const project = s.project()
    return s.jobs.run(
      'embedding-map',
      async (job) => {
        const cache = requireComplete(await embeddingCache(project, s.engine(), job.signal))
        const args: MapArgs = { projectDir: project.dir, key: cache.key, method, seed }
        return s.engine().run('embeddingMap', args, { signal: job.signal, onProgress: (d, t, m) => job.progress(d, t, m) })
      },
      { exclusive: ['precompute'] }
    )
  }
} satisfies Partial<Handlers>
