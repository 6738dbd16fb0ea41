import { ThawError } from '../errors'

export type ImportErrorCode = 'NOT_FOUND' | 'NOT_A_FOLDER' | 'UNREADABLE' | 'EMPTY' | 'NO_IMAGES'

/** A folder that cannot be imported at all. Bad individual files never raise this: they are
 * reported per file. It extends ThawError so every transport shows its code and message as is. */
export class ImportError extends ThawError {
  constructor(
    override readonly code: ImportErrorCode,
    message: string
  ) {
    super(code, message)
    this.name = 'ImportError'
  }
}

export type ExportErrorCode = 'DEST_NOT_EMPTY' | 'DEST_NOT_A_FOLDER'

/** An export that cannot start; nothing has been written when it is thrown. */
export class ExportError extends ThawError {
  constructor(
    override readonly code: ExportErrorCode,
    message: string
  ) {
    super(code, message)
    this.name = 'ExportError'
  }
}

/** The Node error code of a failed fs call ('ENOENT', 'ELOOP', ...), if it has one. */
export function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/** "permission denied" rather than "EACCES: permission denied, scandir '/x'". */
export function describeFsError(err: unknown): string {
  switch (errnoCode(err)) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    case 'ENOENT':
      return 'it no longer exists'
    case 'ELOOP':
      return 'too many levels of symlinks'
    case 'ENAMETOOLONG':
      return 'name too long'
    case 'EIO':
      return 'input/output error (failing disk or disconnected drive?)'
    default:
      return err instanceof Error ? err.message : String(err)
  }
}
