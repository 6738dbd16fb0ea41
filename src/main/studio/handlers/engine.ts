import { cacheStatus, precompute } from '../../precompute/precompute'
import type { Project } from '../../project/project'
import type { BackboneGroups, EngineInfo } from '../../../shared/types'
import type { Handlers, StudioContext } from '../context'

/** The backbone a command works with: the one it names, else the project's own. */
export function projectBackbone(project: Project, chosen?: string): string {
  return chosen ?? project.info().backbone
}

/** After a job that used a backbone finished, it becomes the project's (and clients hear of it). */
export function rememberBackbone(s: StudioContext, project: Project, id: string): void {
  if (project.info().backbone === id) return
  project.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('backbone', ?)").run(id)
  s.emit('projectChanged', project.info())
}

async function engineInfo(s: StudioContext): Promise<EngineInfo> {
  const info = await s.engine().run('engineInfo', {})
  return { ...info, preference: s.backendPreference() }
}

export const engineHandlers = {
  engineInfo: (_args, s) => engineInfo(s),
  setEngineBackend: async ({ backend }, s) => {
    const previous = s.backendPreference()
    await s.setBackend(backend)
    try {
      return await engineInfo(s)
    } catch (err) {
      // a backend that cannot start must not stay the setting: go back to the one that worked
      await s.setBackend(previous)
      throw err
    }
  },
  setFrozenRuntime: async (settings, s) => {
    const previous = s.frozenRuntime()
    await s.setFrozenRuntime(settings)
    try {
      return await engineInfo(s)
    } catch (err) {
      await s.setFrozenRuntime(previous)
      throw err
    }
  },
  importBackbone: (args, s) => s.engine().run('importBackbone', args),
  listBackbones: (_args, s) => s.engine().run('listBackbones', {}),
  backboneGroups: async ({ backbone }, s): Promise<BackboneGroups> => {
    const id = backbone ?? projectBackbone(s.project())
    const d = await s.engine().run('describe', { backbone: id })
    return { backbone: d.spec.id, displayName: d.spec.displayName, featureLayer: d.spec.featureLayer, groups: d.groups, frozenOnly: d.frozenOnly, featureShape: [...d.spec.featureShape] }
  },
  precomputeStatus: async ({ backbone, views }, s) => {
    const project = s.project()
    const d = await s.engine().run('describe', { backbone: projectBackbone(project, backbone) })
    return cacheStatus(project, d, views)
  },
  precompute: ({ backbone, views }, s) => {
    const project = s.project()
    const id = projectBackbone(project, backbone)
    return s.jobs.run(
      'precompute',
      async (job) => {
        const result = await precompute(project, s.engine(), { backbone: id, views }, job)
        rememberBackbone(s, project, id)
        return result
      },
      { exclusive: ['train'] }
    )
  }
} satisfies Partial<Handlers>
