import {
  commandNames,
  commands,
  isCommandName,
  type CommandName,
  type EventName,
  type Events,
  type StudioApi,
  type StudioEvent
} from '../../shared/contract'
import { describeIssues, ThawError } from '../errors'
import { EnginePool } from '../engine/pool'
import type { BackendPreference, ProviderPreference, RuntimePreference } from '../engine/protocol'
import type { FrozenRuntimeSettings } from './context'
import { Jobs } from '../jobs/jobs'
import { guardJob } from './jobGuard'
import type { Project } from '../project/project'
import type { Handlers, StudioContext } from './context'
import { engineHandlers } from './handlers/engine'
import { exportHandlers } from './handlers/export'
import { healthHandlers } from './handlers/health'
import { jobHandlers } from './handlers/jobs'
import { labelHandlers } from './handlers/labels'
import { libraryHandlers } from './handlers/library'
import { projectHandlers } from './handlers/project'
import { qualityHandlers } from './handlers/quality'
import { trainingHandlers } from './handlers/training'
import { modelHandlers } from './handlers/models'
import { tryitHandlers } from './handlers/tryit'

const handlers: Handlers = {
  ...projectHandlers,
  ...libraryHandlers,
  ...labelHandlers,
  ...engineHandlers,
  ...trainingHandlers,
  ...exportHandlers,
  ...jobHandlers,
  ...tryitHandlers,
  ...modelHandlers,
  ...healthHandlers,
  ...qualityHandlers
}

type Listener = (event: StudioEvent) => void

// one line per problem (errors.ts, shared with the desktop shell's own commands)
export { describeIssues }

/** The studio service: implements the contract, knows nothing of Electron, HTTP or the CLI. */
export class Studio implements StudioContext {
  readonly jobs: Jobs
  private current: Project | null = null
  private pool: EnginePool | null = null
  private readonly listeners = new Set<Listener>()

  constructor(
    private readonly options: {
      backend?: BackendPreference
      engineWorkers?: number
      waitForLock?: boolean
      runtime?: RuntimePreference
      provider?: ProviderPreference
    } = {}
  ) {
    this.jobs = new Jobs(
      {
        progress: (p) => this.emit('jobProgress', p),
        finished: (f) => this.emit('jobFinished', f)
      },
      Date.now,
      100,
      (kind, job) => guardJob(this.project(), kind, job, { wait: !!this.options.waitForLock })
    )
  }

  project(): Project {
    if (!this.current) throw new ThawError('NO_PROJECT', 'no project is open; create or open one first')
    return this.current
  }

  engine(): EnginePool {
    this.pool ??= new EnginePool({ backend: this.options.backend ?? 'auto', ...this.frozenRuntime() }, this.options.engineWorkers)
    return this.pool
  }

  backendPreference(): BackendPreference {
    return this.options.backend ?? 'auto'
  }

  async setBackend(backend: BackendPreference): Promise<void> {
    if (this.jobs.active().length) throw new ThawError('BUSY', 'a job is running; wait for it or cancel it before switching the backend')
    await this.pool?.close()
    this.pool = null
    this.options.backend = backend
  }

  frozenRuntime(): FrozenRuntimeSettings {
    return { runtime: this.options.runtime ?? 'auto', provider: this.options.provider ?? 'auto' }
  }

  async setFrozenRuntime(settings: FrozenRuntimeSettings): Promise<void> {
    if (this.jobs.active().length) throw new ThawError('BUSY', 'a job is running; wait for it or cancel it before switching the runtime')
    await this.pool?.close()
    this.pool = null
    this.options.runtime = settings.runtime
    this.options.provider = settings.provider
  }

  maybeProject(): Project | null {
    return this.current
  }

  setProject(project: Project | null): void {
    if (this.current && this.current !== project) {
      if (this.jobs.active().length) {
        project?.close()
        throw new ThawError('BUSY', 'a job is running in this project; wait for it or cancel it before switching')
      }
      this.current.close()
    }
    this.current = project
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  emit<E extends EventName>(event: E, payload: Events[E]): void {
    for (const l of this.listeners) {
      try {
        l({ event, payload } as StudioEvent)
      } catch {
        // a broken client must not break the others
      }
    }
  }

  /** The single entry point of every transport: validates, then runs the command. */
  async invoke(name: unknown, args: unknown): Promise<unknown> {
    if (!isCommandName(name)) throw new ThawError('UNKNOWN_COMMAND', `unknown command ${JSON.stringify(name)}`)
    const parsed = commands[name].args.safeParse(args ?? {})
    if (!parsed.success) throw new ThawError('BAD_ARGS', `${name}: ${describeIssues(parsed.error)}`)
    const handler = handlers[name] as (a: unknown, s: StudioContext) => unknown
    return await handler(parsed.data, this)
  }

  /** Typed calls for in-process clients (CLI, tests), through the same validation. */
  api(): StudioApi {
    const api = {} as Record<CommandName, (args: unknown) => Promise<unknown>>
    for (const name of commandNames) api[name] = (args) => this.invoke(name, args)
    return api as StudioApi
  }

  async close(): Promise<void> {
    this.jobs.cancelAll()
    await this.pool?.close()
    this.pool = null
    this.current?.close()
    this.current = null
  }
}
