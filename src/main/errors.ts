import type { z } from 'zod'
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
  // SQLite's own words ("database is locked") say nothing to a person: say what it means
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return { code: 'BUSY', message: 'the project is busy: another process is writing to it; try again when it is done' }
  }
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return { code: 'DAMAGED_PROJECT', message: `the project file is damaged (${code}): restore a backup, or import the images into a new project` }
  }
  const message = err instanceof Error ? err.message : String(err)
  return { code, message: message.split('\n')[0] ?? message }
}

/** One line per problem, so a bad command gets a message a person can act on. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`)
    .join('; ')
}
