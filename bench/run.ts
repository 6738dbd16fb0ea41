/**
 * `npm run bench [case...]`: runs the benchmark cases (all by default) one after the other and
 * prints one JSON object; also written to bench/results/latest.json. Figures, not assertions:
 * these machines are noisy, so compare side by side within one run.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const cases: Record<string, () => Promise<{ run: (opts?: never) => Promise<Record<string, unknown>> }>> = {
  library: () => import('./cases/import'),
  grid: () => import('./cases/grid'),
  kernels: () => import('./cases/kernels'),
  precompute: () => import('./cases/precompute'),
  memory: () => import('./cases/memory'),
  train: () => import('./cases/train'),
  engine: () => import('./cases/engine'),
  quality: () => import('./cases/quality'),
  predictall: () => import('./cases/predictall'),
  map: () => import('./cases/map')
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'))
  const unknown = wanted.filter((w) => !(w in cases))
  if (unknown.length) {
    process.stderr.write(`unknown case ${unknown.join(', ')}; cases: ${Object.keys(cases).join(', ')}\n`)
    process.exit(2)
  }
  const results: Record<string, unknown> = {
    machine: { cpus: os.availableParallelism(), node: process.version, loadAverage: os.loadavg().map((l) => Math.round(l * 10) / 10) },
    date: new Date().toISOString()
  }
  for (const name of wanted.length ? wanted : Object.keys(cases)) {
    process.stderr.write(`bench: ${name}...\n`)
    const started = performance.now()
    try {
      results[name] = { ...(await (await cases[name]!()).run()), seconds: Math.round((performance.now() - started) / 100) / 10 }
    } catch (err) {
      results[name] = { error: (err as Error).message }
    }
  }
  const out = path.join(__dirname, 'results')
  fs.mkdirSync(out, { recursive: true })
  fs.writeFileSync(path.join(out, 'latest.json'), JSON.stringify(results, null, 2))
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`)
  process.exit(0) // engine workers and servers of the cases must not keep the process alive
}

void main()
