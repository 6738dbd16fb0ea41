// Every expected failure comes back with its own code and a message in the user's words, from
// whichever thread it starts in (issue #12 items 13, 14, 16).
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Studio } from '../../../src/main/studio/studio'
import { isolatedEnv, smallHymenoptera } from '../../helpers/dataset'
import { tempDir } from '../../helpers/tmp'

isolatedEnv()
const run = promisify(execFile)
const THAW = path.resolve(__dirname, '../../../bin/thaw')

async function thaw(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [THAW, ...args], { env: process.env, timeout: 120_000 })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

describe('expected failures have their own codes', () => {
  const studio = new Studio({ engineWorkers: 1 })
  const api = studio.api()
  const dir = path.join(tempDir(), 'p')

  beforeAll(async () => {
    await api.createProject({ path: dir })
    await api.importFolder({ root: smallHymenoptera(3, 2), validPct: 0.2, seed: 1 })
  })
  afterAll(() => studio.close())

  it('resume without a checkpoint is NO_CHECKPOINT, and the worker survives it', async () => {
    // the throw is synchronous in the task; it used to kill the worker (ENGINE_CRASHED)
    await expect(api.train({ resume: true })).rejects.toMatchObject({ code: 'NO_CHECKPOINT', message: expect.stringMatching(/no interrupted training run/) })
    // the same worker answers the next task
    await expect(api.engineInfo({})).resolves.toMatchObject({ backend: expect.any(String) })
  })

  it('a damaged bundle is BAD_BUNDLE, not INTERNAL', async () => {
    const bundle = tempDir('thaw-bundle-')
    fs.writeFileSync(path.join(bundle, 'labels.json'), JSON.stringify(['ants', 'bees']))
    fs.writeFileSync(path.join(bundle, 'preprocessing.json'), JSON.stringify({ size: { width: 224, height: 224 }, resize: 'squash', channels: 'RGB' }))
    fs.writeFileSync(path.join(bundle, 'model.json'), '{ this is not json')
    const err = (await api.predictBundle({ bundle, paths: ['/nonexistent.jpg'] }).catch((e: unknown) => e)) as { code: string }
    expect(err.code).toMatch(/^BAD_BUNDLE|^BUNDLE_/)
  })

  it('predict before any training is NO_MODEL', async () => {
    await expect(api.predict({ paths: ['/nonexistent.jpg'] })).rejects.toMatchObject({ code: 'NO_MODEL', message: expect.stringMatching(/no trained model yet/) })
  })

  it('a freezeTo that names no group boundary is refused with the valid range', async () => {
    const plan = { stages: [{ epochs: 1, lr: 1e-3, freezeTo: 1_000_000 }] }
    const err = await api.estimateCaches({ plan }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'BAD_PLAN', message: expect.stringMatching(/stage 1 \("stage"\): freezeTo 1000000 is not a group boundary of .*use 0 \(train everything\) to \d+ \(the head only\), or -1 \(the head only\) to -\d+ \(everything\)/) })
    await expect(api.train({ plan })).rejects.toMatchObject({ code: 'BAD_PLAN' })
    await expect(api.train({ plan: { stages: [{ epochs: 1, lr: 1e-3, freezeTo: -1_000 }] } })).rejects.toMatchObject({ code: 'BAD_PLAN' })
    // the boundaries themselves are fine
    const [head] = await api.estimateCaches({ plan: { stages: [{ epochs: 1, lr: 1e-3, freezeTo: -1 }] } })
    const groups = head!.firstThawedGroup + 1
    await expect(api.estimateCaches({ plan: { stages: [{ epochs: 1, lr: 1e-3, freezeTo: -groups }, { epochs: 1, lr: 1e-3, freezeTo: groups - 1 }] } })).resolves.toHaveLength(2)
    await expect(api.estimateCaches({ plan: { stages: [{ epochs: 1, lr: 1e-3, freezeTo: groups }] } })).rejects.toMatchObject({ code: 'BAD_PLAN' })
  })
})

describe('the CLI says what is wrong in the flag\'s words', () => {
  const project = path.join(tempDir(), 'p')

  beforeAll(async () => {
    expect((await thaw('init', project)).code).toBe(0)
  })

  it('a plan file holding null is refused, not read as "no plan"', async () => {
    const plan = path.join(tempDir(), 'null.json')
    fs.writeFileSync(plan, 'null')
    const r = await thaw('train', project, '--plan', plan, '--json')
    expect(r.code).toBe(1)
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'BAD_PLAN', message: expect.stringMatching(/must be a JSON object .* not null/) } })
  })

  it('an unknown backend is BAD_ARGS naming --backend', async () => {
    const r = await thaw('status', project, '--json', '--backend', 'gpu9').catch((e: unknown) => e as never)
    // status has no --backend: commander refuses it; train has one
    expect(r.code).not.toBe(0)
    const t = await thaw('train', project, '--backend', 'gpu9', '--json')
    expect(t.code).toBe(1)
    expect(JSON.parse(t.stdout)).toMatchObject({ error: { code: 'BAD_ARGS', message: expect.stringMatching(/--backend must be one of auto, .* not "gpu9"/) } })
  })
})
