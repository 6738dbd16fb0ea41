import fs from 'node:fs'
import type { TryNeighbour } from '../../../shared/tryit'
import { similarImages } from '../../embeddings'
import { ThawError } from '../../errors'
import { importFolder } from '../../library/importFolder'
import { uploadsDir } from '../../library/upload'
import { tryImage, type NearestFinder } from '../../tryit/tryImage'
import type { Handlers, StudioContext } from '../context'

/** The training images nearest to a picture, by the quality tools' similar search on the cached
 * features (the picture is embedded on the fly); without a complete cache, why not. */
function nearestTraining(s: StudioContext): NearestFinder {
  return async (file, k) => {
    if (k === 0) return { nearest: [], note: null }
    const project = s.project()
    try {
      const r = await similarImages(project, s.engine(), { path: file }, { k, splits: ['train'] })
      const names = new Map((project.db.prepare('SELECT id, name FROM classes').all() as { id: number; name: string }[]).map((c) => [c.id, c.name]))
      const nearest: TryNeighbour[] = r.similar.map((x) => ({
        imageId: x.imageId,
        path: x.path,
        hash: x.hash,
        className: x.classId === null ? null : (names.get(x.classId) ?? null),
        similarity: x.similarity
      }))
      return { nearest, note: null }
    } catch (err) {
      if (err instanceof ThawError && err.code === 'NO_CACHE') {
        return { nearest: null, note: 'The nearest training images appear once every image is precomputed (the Precompute screen).' }
      }
      return { nearest: null, note: `The nearest training images could not be found: ${(err as Error).message}` }
    }
  }
}

export const tryitHandlers = {
  tryImage: ({ image, modelId, k }, s) => tryImage(s.project(), s.engine(), { image, modelId, k }, nearestTraining(s)),
  importUploads: async ({ validPct, seed }, s) => {
    const project = s.project()
    const root = uploadsDir(project)
    if (!fs.existsSync(root)) throw new ThawError('NOTHING_UPLOADED', 'Nothing has been uploaded into this project yet: drop files or folders on the library first.')
    try {
      return await s.jobs.run('import', (job) => importFolder(project, root, { validPct, seed }, job))
    } finally {
      s.emit('libraryChanged', { reason: 'import' })
    }
  }
} satisfies Partial<Handlers>
