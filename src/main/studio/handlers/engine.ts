import { DEFAULT_BACKBONE_ID } from '../../backbones/registry'
import { precompute } from '../../precompute/precompute'
import type { Project } from '../../project/project'
import type { BackboneGroups, BackboneInfo, EngineInfo } from '../../../shared/types'
import type { BackboneDescription } from '../../engine/tasks/describe'
import type { Handlers } from '../context'

/** The backbone a project uses: the last one chosen for it, else the recommended default. */
export function projectBackbone(project: Project, chosen?: string): string {
  const setMeta = project.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)')
  if (chosen) {
    setMeta.run('backbone', chosen)
    return chosen
  }
  const row = project.db.prepare("SELECT value FROM meta WHERE key = 'backbone'").pluck().get() as string | undefined
  return row ?? DEFAULT_BACKBONE_ID
}

export const engineHandlers = {
  engineInfo: (_args, s) => s.engine().run<EngineInfo>('engineInfo', {}),
  setEngineBackend: async ({ backend }, s) => {
    await s.setBackend(backend)
    return s.engine().run<EngineInfo>('engineInfo', {})
  },
  importBackbone: (args, s) => s.engine().run<BackboneInfo>('importBackbone', args),
  listBackbones: (_args, s) => s.engine().run<BackboneInfo[]>('listBackbones', {}),
  backboneGroups: async ({ backbone }, s): Promise<BackboneGroups> => {
    const id = backbone ?? projectBackbone(s.project())
    const d = await s.engine().run<BackboneDescription>('describe', { backbone: id })
    return { backbone: d.spec.id, displayName: d.spec.displayName, featureLayer: d.spec.featureLayer, groups: d.groups }
  },
  precompute: ({ backbone, views }, s) => {
    const project = s.project()
    const id = projectBackbone(project, backbone)
    return s.jobs.run('precompute', (job) => precompute(project, s.engine(), { backbone: id, views }, job), { exclusive: ['train'] })
  }
} satisfies Partial<Handlers>
