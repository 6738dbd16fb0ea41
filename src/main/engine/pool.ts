import os from 'node:os'
import type { Worker } from 'node:worker_threads'
import { ThawError } from '../errors'
import type { FromWorker, TaskArgs, TaskEvent, TaskName, TaskResult, ToWorker, WorkerConfig } from './protocol'
import { spawnEngineWorker } from './spawn'

/** How a caller follows a task: `E` is the task's event type (TaskEvent<name>). */
export interface RunOptions<E = unknown> {
  signal?: AbortSignal
  onProgress?: (done: number, total: number, message: string) => void
  onEvent?: (payload: E) => void
}

interface Pending {
  resolve: (v: unknown) => void
  reject: (e: Error) => void
  opts: RunOptions<never>
}

/** One engine worker and the tasks it is running. A crashed worker fails its tasks with a clear
 * error and is replaced on next use. */
class WorkerHandle {
  private readonly pending = new Map<number, Pending>()
  private statsWaiters: ((s: { numTensors: number; rssBytes: number }) => void)[] = []
  private nextId = 1
  private readonly exited: Promise<void>
  private closing: Promise<void> | null = null
  dead = false

  constructor(private readonly worker: Worker) {
    worker.on('message', (m: FromWorker) => this.onMessage(m))
    worker.on('error', (err) => this.fail(`the engine worker crashed: ${err.message}`))
    this.exited = new Promise((resolve) => {
      worker.on('exit', (code) => {
        this.fail(`the engine worker exited (code ${code})`)
        resolve()
      })
    })
    this.updateRef()
  }

  get busy(): boolean {
    return this.pending.size > 0
  }

  /** An idle worker must not keep a CLI process alive; one with work in flight must. */
  private updateRef(): void {
    if (this.pending.size > 0 || this.statsWaiters.length > 0) this.worker.ref()
    else this.worker.unref()
  }

  run<K extends TaskName>(kind: K, args: TaskArgs<K>, opts: RunOptions<TaskEvent<K>>): Promise<unknown> {
    const taskId = this.nextId++
    return new Promise((resolve, reject) => {
      if (opts.signal?.aborted) {
        reject(new ThawError('CANCELLED', `${kind} was cancelled`))
        return
      }
      // the worker emits only the events its handler's TaskContext<E> allows
      this.pending.set(taskId, { resolve, reject, opts: opts as RunOptions<never> })
      opts.signal?.addEventListener('abort', () => this.post({ type: 'cancel', taskId }), { once: true })
      this.updateRef()
      this.post({ type: 'run', taskId, kind, args })
    })
  }

  stats(): Promise<{ numTensors: number; rssBytes: number }> {
    return new Promise((resolve) => {
      this.statsWaiters.push(resolve)
      this.updateRef()
      this.post({ type: 'stats' })
    })
  }

  /** Asks the worker to cancel its tasks and end itself, and waits for it. Terminating the thread
   * instead while onnxruntime-node has a session run in flight aborts the whole process (the run's
   * completion lands in a torn-down environment: "terminate called after throwing an instance of
   * Napi::Error"), so the thread is terminated only when it does not end within `graceMs`. */
  close(graceMs = 20_000): Promise<void> {
    this.closing ??= (async () => {
      if (!this.dead) this.worker.postMessage({ type: 'shutdown' } satisfies ToWorker)
      this.dead = true
      this.worker.ref() // the process must wait for the thread to end
      const timer = setTimeout(() => void this.worker.terminate(), graceMs)
      await this.exited
      clearTimeout(timer)
    })()
    return this.closing
  }

  private post(m: ToWorker): void {
    if (!this.dead) this.worker.postMessage(m)
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'stats') {
      this.statsWaiters.shift()?.({ numTensors: m.numTensors, rssBytes: m.rssBytes })
      this.updateRef()
      return
    }
    const p = this.pending.get(m.taskId)
    if (!p) return
    if (m.type === 'progress') p.opts.onProgress?.(m.done, m.total, m.message)
    else if (m.type === 'event') p.opts.onEvent?.(m.payload as never)
    else {
      this.pending.delete(m.taskId)
      this.updateRef()
      if (m.type === 'done') p.resolve(m.result)
      else p.reject(new ThawError(m.error.code, m.error.message))
    }
  }

  private fail(message: string): void {
    if (this.dead && this.pending.size === 0) return
    this.dead = true
    for (const p of this.pending.values()) p.reject(new ThawError('ENGINE_CRASHED', message))
    this.pending.clear()
  }
}

export function defaultPoolSize(): number {
  // The wasm backend is single-threaded in Node: one worker per core is how both cores get used.
  return Math.max(1, Math.min(4, os.availableParallelism()))
}

/** The engine workers owned by the studio. Workers start on first use and keep their backend
 * and backbones loaded between tasks. */
export class EnginePool {
  private readonly handles: (WorkerHandle | null)[]

  constructor(
    private readonly config: WorkerConfig,
    readonly size = defaultPoolSize()
  ) {
    this.handles = Array.from({ length: size }, () => null)
  }

  private handle(i: number): WorkerHandle {
    let h = this.handles[i]
    if (!h || h.dead) {
      h = new WorkerHandle(spawnEngineWorker(this.config))
      this.handles[i] = h
    }
    return h
  }

  /** Runs a task of the table (./tasks/index.ts) on worker `worker` (0 by default: the one that
   * trains and predicts). Name, arguments, result and events are typed from the task's handler. */
  run<K extends TaskName>(kind: K, args: TaskArgs<K>, opts: RunOptions<TaskEvent<K>> & { worker?: number } = {}): Promise<TaskResult<K>> {
    return this.handle(opts.worker ?? 0).run(kind, args, opts) as Promise<TaskResult<K>>
  }

  /** Runs one task per argument set, spread over the workers (data-parallel work). */
  runEach<K extends TaskName>(
    kind: K,
    argsPerTask: TaskArgs<K>[],
    optsFor: (task: number) => RunOptions<TaskEvent<K>> = () => ({})
  ): Promise<TaskResult<K>[]> {
    return Promise.all(argsPerTask.map((args, i) => this.run(kind, args, { ...optsFor(i), worker: i % this.size })))
  }

  /** Tensor counts and memory of the running workers (for leak checks). */
  async stats(): Promise<{ numTensors: number; rssBytes: number }[]> {
    return Promise.all(this.handles.filter((h): h is WorkerHandle => !!h && !h.dead).map((h) => h.stats()))
  }

  async close(): Promise<void> {
    const closing = this.handles.map((h) => h?.close())
    this.handles.fill(null)
    await Promise.all(closing)
  }
}
