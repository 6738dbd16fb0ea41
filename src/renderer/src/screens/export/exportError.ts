// An export the studio refused, said in the Export screen's words: the studio's message names no
// transport (the CLI adds its --force), so the screen points at its own checkbox.
import type { ErrorInfo } from '../../../../shared/contract'

/** the checkbox that allows replacing an earlier export, as the screen labels it */
export const REPLACE_LABEL = 'Replace an earlier export in this folder'

export function exportErrorText(err: Partial<ErrorInfo> & { message?: string }, args: { out: string; overwrite: boolean }): string {
  const message = err.message ?? String(err)
  if (err.code === 'EXPORT_EXISTS' && !args.overwrite) {
    return `${args.out} is not empty. Choose another folder, or tick “${REPLACE_LABEL}” to replace the earlier export in it.`
  }
  return message
}
