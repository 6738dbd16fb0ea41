// What runs the frozen forward passes (ONNX Runtime or TF.js) and on which ONNX Runtime
// provider, as data: the choices and what each means. Pure, so the tests read the same rules the
// Precompute screen follows.
import { frozenRuntimePreference, onnxProviderPreference, type CommandArgs } from '../../../shared/contract'
import type { FrozenRuntimeReport } from '../../../shared/types'

export type RuntimeChoice = CommandArgs<'setFrozenRuntime'>['runtime']
export type ProviderChoice = CommandArgs<'setFrozenRuntime'>['provider']

export const RUNTIME_CHOICES: readonly RuntimeChoice[] = frozenRuntimePreference.options
export const PROVIDER_CHOICES: readonly ProviderChoice[] = onnxProviderPreference.options

export const RUNTIME_CHOICE_LABELS: Record<RuntimeChoice, string> = {
  auto: 'auto (ONNX Runtime where it checks out)',
  onnx: 'ONNX Runtime only',
  tfjs: 'TF.js only'
}

export const RUNTIME_CHOICE_HELP: Record<RuntimeChoice, string> = {
  auto: 'ONNX Runtime (native, many times faster) where the frozen part converts and matches TF.js on the first images; else TF.js, with the reason',
  onnx: 'ONNX Runtime, or an error saying why the frozen part cannot run on it',
  tfjs: 'TF.js for everything: the reference, slower'
}

export const PROVIDER_CHOICE_LABELS: Record<ProviderChoice, string> = {
  auto: 'auto (GPU where installed)',
  cpu: 'CPU',
  gpu: 'GPU'
}

export function isRuntimeChoice(value: unknown): value is RuntimeChoice {
  return typeof value === 'string' && (RUNTIME_CHOICES as readonly string[]).includes(value)
}

export function isProviderChoice(value: unknown): value is ProviderChoice {
  return typeof value === 'string' && (PROVIDER_CHOICES as readonly string[]).includes(value)
}

/** One line for a precompute's result: what ran the forward pass, and why when it matters. */
export function describeFrozenRun(f: FrozenRuntimeReport): string {
  if (!f.runtime) return 'nothing was computed'
  const parts = [f.detail]
  if (f.check) parts.push(`matches TF.js on ${f.check.images} images to ${f.check.relDiff.toExponential(1)} relative (allowed ${f.check.tolerance})`)
  if (f.workers > 1) parts.push(`${f.workers} engine workers`)
  return parts.join('; ')
}
