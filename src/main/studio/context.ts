import type { CommandName, CommandResult, EventName, Events, ParsedArgs, StudioEvent } from '../../shared/contract'
import type { EnginePool } from '../engine/pool'
import type { BackendPreference, ProviderPreference, RuntimePreference } from '../engine/protocol'

export interface FrozenRuntimeSettings {
  runtime: RuntimePreference
  provider: ProviderPreference
}
import type { Jobs } from '../jobs/jobs'
import type { Project } from '../project/project'

/** What a command handler may use: the open project, the jobs, and the event bus. */
export interface StudioContext {
  readonly jobs: Jobs
  /** the engine workers (TF.js), started on first use */
  engine(): EnginePool
  /** restarts the engine on another TF.js backend */
  setBackend(backend: BackendPreference): Promise<void>
  backendPreference(): BackendPreference
  /** restarts the engine with another frozen-forward runtime or ONNX Runtime provider */
  setFrozenRuntime(settings: FrozenRuntimeSettings): Promise<void>
  frozenRuntime(): FrozenRuntimeSettings
  project(): Project
  maybeProject(): Project | null
  setProject(project: Project | null): void
  emit<E extends EventName>(event: E, payload: Events[E]): void
  /** every event the studio emits (for work that reacts to changes, e.g. train while labeling) */
  subscribe(listener: (event: StudioEvent) => void): () => void
}

export type Handler<N extends CommandName> = (
  args: ParsedArgs<N>,
  studio: StudioContext
) => Promise<CommandResult<N>> | CommandResult<N>

export type Handlers = { [N in CommandName]: Handler<N> }
