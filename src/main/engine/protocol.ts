// Messages between the studio (main thread) and its engine workers. TF.js lives only in the
// workers, so the thread that answers the UI never runs a forward pass.
import type { ErrorInfo } from '../../shared/contract'

import type { BackendPreference } from './backend'

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

export interface TaskMessage<T = unknown> {
  type: 'run'
  taskId: number
  kind: string
  args: T
}

export type ToWorker = TaskMessage | { type: 'cancel'; taskId: number } | { type: 'stats' }

export type FromWorker =
  | { type: 'progress'; taskId: number; done: number; total: number; message: string }
  | { type: 'event'; taskId: number; payload: unknown }
  | { type: 'done'; taskId: number; result: unknown }
  | { type: 'error'; taskId: number; error: ErrorInfo }
  | { type: 'stats'; numTensors: number; rssBytes: number }

/** What a task handler running in a worker can do. */
export interface TaskContext {
  readonly signal: AbortSignal
  progress(done: number, total: number, message?: string): void
  /** a task-specific event (e.g. an epoch's metrics) relayed to the task's caller */
  emit(payload: unknown): void
  /** yields to the worker's event loop so cancel messages get through between batches */
  checkpoint(): Promise<void>
}

export type TaskHandler<A = never, R = unknown> = (args: A, ctx: TaskContext) => Promise<R>
