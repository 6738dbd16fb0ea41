import { Project } from '../../project/project'
import { listFolder } from '../../project/listFolder'
import { readRecent, rememberProject } from '../../project/recent'
import type { Handlers, StudioContext } from '../context'

function use(studio: StudioContext, project: Project) {
  studio.setProject(project)
  const info = project.info()
  rememberProject({ path: info.path, name: info.name })
  studio.emit('projectChanged', info)
  return info
}

export const projectHandlers = {
  createProject: ({ path, name }, studio) => use(studio, Project.create(path, name)),
  openProject: ({ path }, studio) => use(studio, Project.open(path)),
  currentProject: (_args, studio) => studio.maybeProject()?.info() ?? null,
  recentProjects: () => readRecent(),
  listFolder: ({ path }) => listFolder(path)
} satisfies Partial<Handlers>
