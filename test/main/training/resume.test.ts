// A run killed (SIGKILL, the whole process) right after any kind of checkpoint and resumed ends
// bit for bit where an unbroken run ends (issue #12 item 9): after the first epoch of stage 1,
// after a stage's last epoch, and in the middle of a thawing stage (backbone weights and one
// Adam per layer group restored).
import Database from 'better-sqlite3'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { modelArtifacts, modelMeta } from '../../../src/main/training/modelStore'
import type { PlanInput } from '../../../src/shared/plan'
import { isolatedEnv, smallHymenoptera } from '../../helpers/dataset'
import { tempDir } from '../../helpers/tmp'

isolatedEnv()
const THAW = path.resolve(__dirname, '../../../bin/thaw')

const plan: PlanInput = {
  name: 'kill and resume',
  stages: [
    { name: 'head', freezeTo: -1, epochs: 2, lr: 3e-3, batchSize: 4, optimizer: 'adam' },
    { name: 'last group', freezeTo: -2, epochs: 2, lr: [1e-4, 1e-3], batchSize: 4, optimizer: 'adam' }
  ]
}

function thaw(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; signal: string | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [THAW, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'ignore'] })
    let stdout = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout })
    })
  })
}

/** The newest model's weights and the run's losses, as stored. */
function newest(dir: string): { id: number; weights: Buffer; losses: number[] } {
  const db = new Database(path.join(dir, 'thaw.sqlite'), { readonly: true })
  try {
    // the newest run with weights, whichever model the project has chosen
    const id = db.prepare('SELECT max(id) FROM models WHERE length(weights) > 0').pluck().get() as number
    const meta = modelMeta(db, id)!
    const art = modelArtifacts(db, meta.id)
    const report = meta.report as { epochs: { trainLoss: number; validLoss: number }[] }
    return { id, weights: Buffer.from(art.weightData), losses: report.epochs.flatMap((e) => [e.trainLoss, e.validLoss]) }
  } finally {
    db.close()
  }
}

function copyProject(from: string): string {
  const to = path.join(tempDir(), 'copy')
  fs.cpSync(from, to, { recursive: true })
  return to
}

describe('resume after SIGKILL', () => {
  let base: string
  let planFile: string
  let unbroken: { id: number; weights: Buffer; losses: number[] }

  beforeAll(async () => {
    base = path.join(tempDir(), 'base')
    planFile = path.join(tempDir(), 'plan.json')
    fs.writeFileSync(planFile, JSON.stringify(plan))
    expect((await thaw(['init', base])).code).toBe(0)
    expect((await thaw(['import', base, smallHymenoptera(6, 3)])).code).toBe(0)
    const r = await thaw(['train', base, '--plan', planFile, '--seed', '3', '--json'])
    expect(r.code).toBe(0)
    unbroken = newest(base)
  }, 300_000)

  for (const [at, what] of [
    ['1:1', 'after stage 1 epoch 1'],
    ['1:2', 'after a stage ends'],
    ['2:1', 'in the middle of a thawing stage']
  ] as const) {
    it(`${what} (${at})`, async () => {
      const dir = copyProject(base) // caches built; the unbroken run's model is model 1 here
      const killed = await thaw(['train', dir, '--plan', planFile, '--seed', '3', '--json'], { THAW_FAULT_KILL_AFTER_CHECKPOINT: at })
      expect(killed.signal).toBe('SIGKILL')
      const resumed = await thaw(['train', dir, '--resume', '--json'])
      expect(resumed.code).toBe(0)
      const got = newest(dir)
      expect(got.id).toBeGreaterThan(unbroken.id) // the resumed run's own model, not the copied one
      expect(got.losses).toEqual(unbroken.losses)
      // bit for bit, not 1e-7
      expect(got.weights.equals(unbroken.weights)).toBe(true)
    }, 300_000)
  }
})
