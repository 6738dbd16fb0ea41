// The compute backend a user can ask for, as data: the choices, what each means, and what to do
// after a switch the studio refused. Pure, so the tests read the same rules the screen follows.
import type { CommandArgs } from '../../../shared/contract'

export type BackendChoice = CommandArgs<'setEngineBackend'>['backend']

export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu']

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

/** Failures that leave the studio as it was: refused while a job runs (BUSY), a malformed request,
 * or no answer at all. Any other failure came after the studio had already stopped its engine
 * workers and taken the new preference (an unavailable backend, a worker that did not start), so
 * the previous choice must be asked for again or every later computation would fail too. */
const UNCHANGED_CODES = new Set(['BUSY', 'BAD_ARGS', 'DISCONNECTED', 'UNKNOWN_COMMAND'])

export function mustRestoreAfterFailedSwitch(code: string | undefined): boolean {
  return code === undefined || !UNCHANGED_CODES.has(code)
}
