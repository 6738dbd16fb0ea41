import type { JobKind } from '../../shared/types'
import { ThawError } from '../errors'
import type { JobContext } from '../jobs/jobs'
import type { Project } from '../project/project'
import { damage } from '../store/identity'
import { busyMessage, lockProject } from '../store/jobLock'

/** Jobs that write to the project: one process at a time holds the project for them. Readers
 * (export, export-tree, every query) never wait: WAL lets them read while a writer writes. */
const WRITERS: ReadonlySet<JobKind> = new Set<JobKind>(['import', 'precompute', 'train', 'lr-find'])

const sound = new WeakMap<Project, true>()

/** Before any job: the project file must be sound (PRAGMA quick_check, once per open project),
 * and a writer job takes the project-wide lock (or waits for it when asked). */
export async function guardJob(project: Project, kind: JobKind, job: JobContext, opts: { wait: boolean }): Promise<() => void> {
  if (!sound.has(project)) {
    const found = damage(project.db)
    if (found) {
      throw new ThawError(
        'DAMAGED_PROJECT',
        `the project file ${project.dir}/thaw.sqlite is damaged (SQLite quick_check: ${found}); no job was started. Restore a backup, or import the images into a new project`
      )
    }
    sound.set(project, true)
  }
  if (!WRITERS.has(kind)) return () => undefined
  return lockProject(project.db, kind, {
    wait: opts.wait,
    signal: job.signal,
    onWait: (h) => job.progress(0, 1, `waiting: ${busyMessage(h).split(';')[0]}`)
  })
}
