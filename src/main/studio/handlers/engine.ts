import { precompute } from '../../precompute/precompute'
import type { Project } from '../../project/project'
import type { BackboneGroups, BackboneInfo, EngineInfo } from '../../../shared/types'
import type { BackboneDescription } from '../../engine/tasks/describe'
import type { Handlers } from '../context'

/** The backbone a project uses: the last one chosen for it, else the recommended default. */
export function projectBackbone(project: Project, chosen?: string): string {
  if (chosen) project.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('backbone', ?)").run(chosen)
  return chosen ?? project.info().backbone
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
