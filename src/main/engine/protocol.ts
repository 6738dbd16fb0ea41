// Messages between the studio (main thread) and its engine workers. TF.js lives only in the
// workers, so the thread that answers the UI never runs a forward pass.
//
// The tasks a worker runs are one typed table, like the contract's commands: `taskHandlers` in
// ./tasks/index.ts (task name -> handler). Each handler's signature IS the task's type:
//   (args: Args, ctx: TaskContext<Event>) => Promise<Result>
// and `EnginePool.run(name, args, { onEvent })` is typed from it. The main thread imports the
// table as a type only (`import type`), so it never loads the handlers (or TF.js) themselves.
import type { ErrorInfo } from '../../shared/contract'

import type { BackendPreference } from './backend'
import type { taskHandlers } from './tasks'

export type { BackendPreference }

import type { ProviderPreference } from './onnx/providers'
import type { RuntimePreference } from './onnx/frozen'

export type { ProviderPreference, RuntimePreference }

export interface WorkerConfig {
  backend: BackendPreference
  /** what runs frozen forwards: ONNX Runtime where it converts and passes its check (auto) */
  runtime?: RuntimePreference
  /** ONNX Runtime execution provider: auto (a GPU where present), cpu, gpu */
  provider?: ProviderPreference
  /** ONNX Runtime intra-op threads per worker (default: the machine's cores) */
  onnxThreads?: number
}

/** The table of engine tasks (name -> handler), as a type. */
export type EngineTasks = typeof taskHandlers
export type TaskName = keyof EngineTasks
/** What a task takes (a task whose handler takes nothing takes `{}`). */
export type TaskArgs<K extends TaskName> = Parameters<EngineTasks[K]> extends [infer A, ...unknown[]] ? A : Record<string, never>
/** What a task resolves to (structured-cloned across the thread boundary). */
export type TaskResult<K extends TaskName> = Awaited<ReturnType<EngineTasks[K]>>
/** The events a task emits while it runs (`never` for most). */
export type TaskEvent<K extends TaskName> = Parameters<EngineTasks[K]> extends [unknown, TaskContext<infer E>, ...unknown[]] ? E : never

/** On the wire: the pool's typed run() is what pairs a name with its arguments. */
export interface TaskMessage {
  type: 'run'
  taskId: number
  kind: TaskName
  args: unknown
}

/** `shutdown`: cancel every task, let them stop, then end the thread (see WorkerHandle.close). */
export type ToWorker = TaskMessage | { type: 'cancel'; taskId: number } | { type: 'stats' } | { type: 'shutdown' }

export type FromWorker =
  | { type: 'progress'; taskId: number; done: number; total: number; message: string }
  | { type: 'event'; taskId: number; payload: unknown }
  | { type: 'done'; taskId: number; result: unknown }
  | { type: 'error'; taskId: number; error: ErrorInfo }
  | { type: 'stats'; numTensors: number; rssBytes: number }

/** What a task handler running in a worker can do. `E` is the type of its events. */
export interface TaskContext<E = never> {
  readonly signal: AbortSignal
  progress(done: number, total: number, message?: string): void
  /** a task-specific event (e.g. an epoch's metrics) relayed to the task's caller's onEvent */
  emit(payload: E): void
  /** yields to the worker's event loop so cancel messages get through between batches */
  checkpoint(): Promise<void>
}

/** The shape every entry of the task table has. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any handler: checked per entry by EngineTasks
export type AnyTaskHandler = (args: any, ctx: TaskContext<any>) => Promise<unknown>
