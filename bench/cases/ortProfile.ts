/**
 * Reads the profile ONNX Runtime wrote for a session (`enableProfiling`, `profileFilePrefix`):
 * milliseconds per image by op type over the timed runs, beside the kernels' sum and the runs'
 * own time, so a reader sees what lies between the kernels.
 */
import fs from 'node:fs'
import path from 'node:path'

interface ProfileEvent {
  cat: string
  name: string
  dur: number
  args?: { op_name?: string }
}

const round = (x: number): number => Math.round(x * 1000) / 1000

/**
 * `warm` runs are left out: ONNX Runtime's first runs grow the arena and fault fresh pages in,
 * which the profiler charges to whichever kernel first writes them (a Cast of the ReLU6 masks
 * showed 1.2-1.5 ms per image in the first two runs of a thawing step and 0.2 after).
 * Deletes the file it read.
 */
export function opTimes(prefix: string, opts: { warm: number; runs: number; images: number }): Record<string, number> {
  const dir = path.dirname(prefix)
  const file = fs.readdirSync(dir).filter((f) => f.startsWith(path.basename(prefix)) && f.endsWith('.json')).sort().pop()
  if (!file) return { 'no profile written': 0 }
  const events = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as ProfileEvent[]
  fs.rmSync(path.join(dir, file), { force: true })
  const nodes = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'))
  const perRun = nodes.length / (opts.warm + opts.runs)
  const byOp: Record<string, number> = {}
  for (const e of nodes.slice(opts.warm * perRun)) {
    const op = e.args?.op_name ?? '?'
    byOp[op] = (byOp[op] ?? 0) + e.dur / 1000
  }
  const perImage = (ms: number): number => round(ms / (opts.runs * opts.images))
  const sorted = Object.entries(byOp).sort((a, b) => b[1] - a[1])
  const runMs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').slice(opts.warm).reduce((a, e) => a + e.dur / 1000, 0)
  return {
    ...Object.fromEntries(sorted.map(([op, ms]) => [op, perImage(ms)])),
    allKernels: perImage(sorted.reduce((a, [, ms]) => a + ms, 0)),
    modelRun: perImage(runMs)
  }
}
