import type { ErrorInfo } from '../shared/contract'

/** An error meant for people: a stable code for programs and a one-line message for humans.
 * Anything else that escapes a command is reported as 'INTERNAL' with its message. */
export class ThawError extends Error {
  constructor(
    readonly code: string,
    message: string
  ) {
    super(message)
    this.name = 'ThawError'
  }
}

export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof ThawError) return { code: err.code, message: err.message }
  const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'INTERNAL'
  const message = err instanceof Error ? err.message : String(err)
  return { code, message: message.split('\n')[0] ?? message }
}
