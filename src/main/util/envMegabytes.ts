import { ThawError } from '../errors'

/** A memory or disk budget from an environment variable, in bytes (1 MB = 1e6 bytes); undefined
 * when the variable is unset or empty. Anything that is not a number of megabytes (a negative
 * one, or 0 when 0 means nothing) is refused by the variable's name rather than silently
 * replaced by the default: someone who set it wants to know it did nothing. */
export function envMegabytes(name: string, value: string | undefined, opts: { zero: boolean }): number | undefined {
  if (value === undefined || value.trim() === '') return undefined
  const mb = Number(value)
  if (!Number.isFinite(mb) || mb < 0 || (mb === 0 && !opts.zero)) {
    throw new ThawError('BAD_SETTING', `${name} must be a number of megabytes${opts.zero ? ' (0 or more)' : ' above 0'}, not "${value}"`)
  }
  return mb * 1e6
}
