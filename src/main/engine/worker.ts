// An engine worker: owns one TF.js backend and runs tasks sent by the studio, one at a time.
import { parentPort, workerData } from 'node:worker_threads'
import { ThawError, toErrorInfo } from '../errors'
import type { AnyTaskHandler, FromWorker, TaskContext, ToWorker, WorkerConfig } from './protocol'
import { taskHandlers } from './tasks'
import { engineStats, setEngineConfig } from './runtime'

if (!parentPort) throw new Error('worker.ts must run in a worker thread')
const port = parentPort
setEngineConfig(workerData as WorkerConfig)

const send = (m: FromWorker): void => port.postMessage(m)
const running = new Map<number, { controller: AbortController; settled: Promise<unknown> }>()
let shuttingDown = false

/** Ends the thread only once no task runs: onnxruntime-node completes a session run on this
 * thread's event loop, and a thread torn down with a run in flight aborts the whole process. */
async function shutdown(): Promise<void> {
  shuttingDown = true
  for (const task of running.values()) task.controller.abort()
  await Promise.allSettled([...running.values()].map((t) => t.settled))
  process.exit(0) // in a worker thread, this ends the thread, not the process
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'cancel') {
    running.get(msg.taskId)?.controller.abort()
    return
  }
  if (msg.type === 'stats') {
    void engineStats().then((s) => send({ type: 'stats', ...s }))
    return
  }
  if (msg.type === 'shutdown') {
    void shutdown()
    return
  }
  const { taskId, kind, args } = msg
  if (shuttingDown) {
    send({ type: 'error', taskId, error: toErrorInfo(new ThawError('CANCELLED', `${kind} was cancelled: the engine is shutting down`)) })
    return
  }
  const controller = new AbortController()
  let lastProgress = 0
  const ctx: TaskContext<unknown> = {
    signal: controller.signal,
    progress(done, total, message = '') {
      const now = Date.now()
      if (done < total && now - lastProgress < 100) return
      lastProgress = now
      send({ type: 'progress', taskId, done, total, message })
    },
    emit: (payload) => send({ type: 'event', taskId, payload }),
    checkpoint: () => new Promise((resolve) => setImmediate(resolve))
  }
  // the name comes from the typed pool, but a message is data: an unknown name is still an error
  const handler = Object.hasOwn(taskHandlers, kind) ? (taskHandlers[kind] as AnyTaskHandler) : undefined
  // async, so a handler that throws before its first await fails its task, not the worker
  const run = (async () => {
    if (!handler) throw new ThawError('UNKNOWN_TASK', `unknown engine task ${String(kind)}`)
    return handler(args, ctx)
  })()
  const settled = run
    .then(
      (result) => send({ type: 'done', taskId, result }),
      (err: unknown) => send({ type: 'error', taskId, error: toErrorInfo(err) })
    )
    .finally(() => running.delete(taskId))
  running.set(taskId, { controller, settled })
})
