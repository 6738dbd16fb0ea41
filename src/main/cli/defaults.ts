import type { z } from 'zod'
import { commands, type CommandName } from '../../shared/contract'

/** A command argument's default, as the string commander shows and parses: read from the
 * contract's schema, so the CLI never restates (and drifts from) the app's defaults. */
export function defaultOf(command: CommandName, field: string): string {
  const schema = commands[command].args as unknown as { shape?: Record<string, z.ZodType> }
  const type = schema.shape?.[field]
  const parsed = type?.safeParse(undefined)
  if (!parsed?.success || parsed.data === undefined) throw new Error(`internal: ${command}.${field} has no default in the contract`)
  return String(parsed.data)
}

export const WAIT_HELP = 'if another process is writing to the project, wait for it instead of failing with "busy"'
