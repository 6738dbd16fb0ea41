import fs from 'node:fs'
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import type { WorkerConfig } from './protocol'

/** Starts an engine worker. Bundled (electron-vite), it is `worker.js` beside the main bundle;
 * from the sources (CLI, tests), it is `worker.ts`, loaded through tsx like the rest. */
export function spawnEngineWorker(config: WorkerConfig): Worker {
  const built = [path.join(__dirname, 'worker.js'), path.join(__dirname, '..', 'worker.js')].find((f) => fs.existsSync(f))
  if (built) return new Worker(built, { workerData: config })
  const source = path.join(__dirname, 'worker.ts')
  return new Worker(source, { workerData: config, execArgv: ['--require', require.resolve('tsx/cjs')] })
}
