import type { Command } from 'commander'
import { backendPreference, frozenRuntimePreference, onnxProviderPreference, type StudioApi } from '../../shared/contract'
import { Studio } from '../studio/studio'
import { ThawError } from '../errors'
import type { BackendPreference } from '../engine/protocol'
import { Output } from './output'

const BACKENDS: readonly BackendPreference[] = backendPreference.options

function parseBackend(value: string | undefined, out: Output): BackendPreference {
  if (value === undefined) return 'auto'
  if ((BACKENDS as string[]).includes(value)) return value as BackendPreference
  return out.fail(new ThawError('BAD_ARGS', `--backend must be one of ${BACKENDS.join(', ')}, not "${value}"`))
}

/** --runtime and --provider: what runs the frozen forward passes (issue #10). */
export function withFrozenRuntimeOptions(command: Command): Command {
  return command
    .option('--runtime <name>', `frozen forwards on: ${frozenRuntimePreference.options.join(' | ')} (auto: ONNX Runtime where the segment converts and passes its check)`, 'auto')
    .option('--provider <name>', `ONNX Runtime provider: ${onnxProviderPreference.options.join(' | ')} (auto: a GPU where installed)`, 'auto')
}

function parseChoice<T extends string>(flag: string, options: readonly T[], value: string | undefined, out: Output): T {
  if (value === undefined) return options[0]!
  if ((options as readonly string[]).includes(value)) return value as T
  return out.fail(new ThawError('BAD_ARGS', `${flag} must be one of ${options.join(', ')}, not "${value}"`))
}

export interface Session {
  studio: Studio
  api: StudioApi
  out: Output
}

/** Runs one CLI command against an in-process studio: same contract, same validation as the
 * app. Progress goes to stderr; any error becomes one line and a non-zero exit. */
export async function withStudio(
  opts: {
    json?: boolean | undefined
    project?: string | undefined
    backend?: string | undefined
    reportBackend?: boolean
    runtime?: string | undefined
    provider?: string | undefined
    wait?: boolean
  },
  run: (s: Session) => Promise<void>
): Promise<void> {
  const out = new Output(!!opts.json)
  const backend = parseBackend(opts.backend, out)
  const runtime = parseChoice('--runtime', frozenRuntimePreference.options, opts.runtime, out)
  const provider = parseChoice('--provider', onnxProviderPreference.options, opts.provider, out)
  const studio = new Studio({ backend, runtime, provider, waitForLock: !!opts.wait })
  studio.subscribe((e) => {
    if (e.event === 'jobProgress') out.progress(e.payload as Parameters<Output['progress']>[0])
  })
  const api = studio.api()
  // Ctrl-C cancels the running job (which keeps what is done) instead of killing mid-write
  const onSigint = (): void => studio.jobs.cancelAll()
  process.once('SIGINT', onSigint)
  try {
    if (opts.project) await api.openProject({ path: opts.project })
    if (opts.reportBackend ?? opts.backend !== undefined) {
      const e = await api.engineInfo({})
      out.info(`backend: ${e.detail}`)
    }
    await run({ studio, api, out })
  } catch (err) {
    await studio.close()
    out.fail(err)
  } finally {
    process.off('SIGINT', onSigint)
  }
  await studio.close()
}
