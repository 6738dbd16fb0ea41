import { ThawError } from '../errors'

/** The codes of a user path or file the studio refuses to touch (see pseudoFs.ts, safeRead.ts,
 * fsTimeout.ts). Every transport shows them as they are. */
export type FsGuardCode =
  /** under /proc, /sys, /dev or another kernel pseudo-filesystem */
  | 'PSEUDO_FS'
  /** a pipe (FIFO), socket, device or folder where a file was expected */
  | 'NOT_A_REGULAR_FILE'
  /** bigger than the limit for what it is meant to be */
  | 'FILE_TOO_LARGE'
  | 'NOT_FOUND'
  /** no permission, an I/O error, a part of the path that is a file */
  | 'UNREADABLE'
  /** a file system call that did not return in time (a hung network share, a kernel file) */
  | 'FS_TIMEOUT'

export class FsGuardError extends ThawError {
  constructor(
    override readonly code: FsGuardCode,
    message: string
  ) {
    super(code, message)
    this.name = 'FsGuardError'
  }
}

/** The Node error code of a failed fs call ('ENOENT', 'EACCES', ...), if it has one. */
export function errno(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOENT: 'it does not exist',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder',
  ELOOP: 'too many levels of symlinks',
  ENAMETOOLONG: 'the name is too long',
  EIO: 'input/output error (failing disk or disconnected drive?)',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device'
}

/** "permission denied" rather than "EACCES: permission denied, open '/x'". */
export function fsReason(err: unknown): string {
  return REASONS[errno(err) ?? ''] ?? (err instanceof Error ? err.message.split('\n')[0]! : String(err))
}
