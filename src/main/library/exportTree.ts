import type { ExportTreeResult, Split } from '../../shared/types'
import { exportClassTree } from '../dataset/exportTree'
import type { JobContext } from '../jobs/jobs'
import type { Project } from '../project/project'

/** Writes the labelled set back out as a class-folder tree, so "labelled by folder" works both ways. */
export async function exportTree(project: Project, dest: string, bySplit: boolean, job: JobContext): Promise<ExportTreeResult> {
  const items = project.db
    .prepare(
      `SELECT i.path, c.name AS className, i.split FROM images i LEFT JOIN classes c ON c.id = i.class_id
       WHERE i.status = 'ok' ORDER BY i.id`
    )
    .all() as { path: string; className: string | null; split: Split }[]
  const result = await exportClassTree(items, dest, {
    bySplit,
    onProgress: (done: number, total: number) => job.progress(done, total)
  })
  return { dest, copied: result.copied, skipped: result.skipped }
}
