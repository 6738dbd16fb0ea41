/**
 * PyTorch CPU on the same cores, as the reference a user would pick instead: runs
 * ../shared/bench/torch_reference.py with Debian's Python (its README says how to install
 * python3-torch) and returns its figures, or why it did not run. Never a test dependency.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

const SCRIPT = path.resolve(__dirname, '../../../shared/bench/torch_reference.py')
const PYTHON = '/usr/bin/python3'

export type TorchResult = { ok: true; figures: Record<string, unknown> } | { ok: false; why: string }

export function torchReference(): TorchResult {
  if (!fs.existsSync(SCRIPT)) return { ok: false, why: `not run: ${SCRIPT} is missing` }
  if (spawnSync(PYTHON, ['-c', 'import torch, torchvision']).status !== 0) return { ok: false, why: 'not installed (apt-get install python3-torch python3-torchvision)' }
  const run = spawnSync(PYTHON, [SCRIPT], { encoding: 'utf8', timeout: 600_000 })
  if (run.status !== 0) return { ok: false, why: `failed: ${run.stderr.trim().split('\n').at(-1) ?? run.status}` }
  try {
    return { ok: true, figures: JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Record<string, unknown> }
  } catch {
    return { ok: false, why: `unreadable output: ${run.stdout.slice(0, 200)}` }
  }
}
