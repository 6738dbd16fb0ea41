import fs from 'node:fs'
import { importFolder } from '../../library/importFolder'
import { uploadsDir } from '../../library/upload'
import { ThawError } from '../../errors'
import { tryImage } from '../../tryit/tryImage'
import type { Handlers } from '../context'

export const tryitHandlers = {
  tryImage: ({ image, modelId, k }, s) => tryImage(s.project(), s.engine(), { image, modelId, k }, null),
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
