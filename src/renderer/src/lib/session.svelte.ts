// What the whole app shares: the open project, the connection to the studio, and which screen
// is up. The studio owns the project; this mirrors it from projectChanged events.
import type { JobFinished, JobKind, ProjectInfo } from '../../../shared/types'
import { api, transport, type ConnectionStatus } from './transport'
import { attempt } from './toasts.svelte'

export type Screen = 'projects' | 'library' | 'review' | 'precompute' | 'train' | 'layers' | 'export'
export type Connection = ConnectionStatus
/** which form the projects screen shows first, when a menu item asked for one */
export type ProjectsIntent = 'create' | 'open' | null

/** Jobs that may set the project's backbone (a precompute, training or LR sweep given one). The
 * studio sends no projectChanged for that, so the project is read again when one ends. */
const BACKBONE_SETTING_JOBS: readonly JobKind[] = ['precompute', 'train', 'lr-find']

class Session {
  project = $state<ProjectInfo | null>(null)
  connection = $state<Connection>('connecting')
  screen = $state<Screen>('projects')
  projectsIntent = $state<ProjectsIntent>(null)
  /** false until the studio said which project (if any) is open, to avoid a flash of the wrong screen */
  ready = $state(false)

  constructor() {
    transport.onStatus((s) => {
      const reconnected = s === 'open' && this.connection !== 'open' && this.ready
      this.connection = s
      // after a reconnect the studio may have switched project (another tab, the CLI): ask again
      if (reconnected) void this.load()
    })
    transport.onEvent((e) => {
      if (e.event === 'projectChanged') this.setProject(e.payload as ProjectInfo | null)
      else if (e.event === 'jobFinished' && BACKBONE_SETTING_JOBS.includes((e.payload as JobFinished).kind)) void this.refresh()
    })
  }

  async load(): Promise<void> {
    const p = await attempt(() => api.currentProject({}))
    this.setProject(p ?? null)
    this.ready = true
  }

  /** Reads the open project again (its backbone may have changed); quiet when it fails. */
  async refresh(): Promise<void> {
    if (!this.project) return
    const p = await api.currentProject({}).catch(() => undefined)
    if (p !== undefined) this.setProject(p)
  }

  setProject(p: ProjectInfo | null): void {
    const changed = p?.path !== this.project?.path
    this.project = p
    if (!p) this.screen = 'projects'
    else if (changed) this.screen = 'library'
  }

  showProjects(intent: ProjectsIntent = null): void {
    this.projectsIntent = intent
    this.screen = 'projects'
  }
}

export const session = new Session()
