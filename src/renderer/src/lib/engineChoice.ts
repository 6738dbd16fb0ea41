// The compute backend a user can ask for, as data: the choices and what each means. Pure, so the
// tests read the same rules the screen follows.
import { backendPreference, type CommandArgs } from '../../../shared/contract'

export type BackendChoice = CommandArgs<'setEngineBackend'>['backend']

export const BACKEND_CHOICES: readonly BackendChoice[] = backendPreference.options

export const BACKEND_CHOICE_LABELS: Record<BackendChoice, string> = {
  auto: 'auto (best available)',
  tensorflow: 'tensorflow (native)',
  wasm: 'wasm',
  cpu: 'cpu (plain JavaScript)'
}

export const BACKEND_CHOICE_HELP: Record<BackendChoice, string> = {
  auto: 'native TensorFlow when installed, else WebAssembly, else plain JavaScript',
  tensorflow: 'native TensorFlow (tfjs-node or tfjs-node-gpu): the fastest, when installed',
  wasm: 'WebAssembly with XNNPACK: works everywhere, slower than native',
  cpu: 'plain JavaScript: works everywhere, much slower; for comparing results'
}

export function isBackendChoice(value: unknown): value is BackendChoice {
  return typeof value === 'string' && (BACKEND_CHOICES as readonly string[]).includes(value)
}
