import { backendPreference, type StudioApi } from '../../shared/contract'
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

export interface Session {
  studio: Studio
  api: StudioApi
  out: Output
}

/** Runs one CLI command against an in-process studio: same contract, same validation as the
 * app. Progress goes to stderr; any error becomes one line and a non-zero exit. */
export async function withStudio(
  opts: { json?: boolean | undefined; project?: string | undefined; backend?: string | undefined; reportBackend?: boolean; wait?: boolean },
  run: (s: Session) => Promise<void>
): Promise<void> {
  const out = new Output(!!opts.json)
  const backend = parseBackend(opts.backend, out)
  const studio = new Studio({ backend, waitForLock: !!opts.wait })
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
