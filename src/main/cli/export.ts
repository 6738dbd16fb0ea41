import type { Command } from 'commander'
import { EXPORT_FORMATS, type ExportFormat, type ExportResult } from '../../shared/export'
import { ThawError } from '../errors'
import { parseModelId } from './models'
import { withStudio } from './session'

function parseFormat(value: string | undefined): ExportFormat {
  if ((EXPORT_FORMATS as readonly string[]).includes(value ?? '')) return value as ExportFormat
  throw new ThawError('BAD_ARGS', `--format must be ${EXPORT_FORMATS.join(' or ')}, not ${value === undefined ? 'missing' : `"${value}"`}`)
}

function parseOpset(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n)) throw new ThawError('BAD_ARGS', `--opset must be a whole number, not "${value}"`)
  return n
}

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`

function exportHuman(r: ExportResult): string {
  const { check, card } = r
  return [
    `exported ${r.format} bundle to ${r.dir} (${r.files.length} files, ${mb(r.bytes)}) in ${(r.ms / 1000).toFixed(1)} s`,
    `proof: ${check.images} validation images, max |difference| ${check.maxAbsDiff.toExponential(2)} (tolerance ${check.tolerance.toExponential(0)}), top-1 agree ${check.top1Agree}/${check.images}`,
    `validation accuracy ${(100 * card.validation.accuracy).toFixed(1)}% over ${card.classes.map((c) => c.name).join(', ')}`,
    ...(check.skipped.length ? [`skipped ${check.skipped.length} unreadable validation images`] : [])
  ].join('\n')
}

/** The studio says "replace the earlier export"; on the command line that is --force. */
export function withForceHint(err: unknown): unknown {
  if ((err as { code?: unknown })?.code !== 'EXPORT_EXISTS') return err
  return new ThawError('EXPORT_EXISTS', `${(err as Error).message} with --force`)
}

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description("write a deployable bundle of the project's model (tfjs or onnx), checked against the studio's own predictions")
    .argument('<project>', 'project folder')
    .requiredOption('--format <format>', 'tfjs | onnx')
    .requiredOption('--out <dir>', 'folder for the bundle (new or empty)')
    .option('--opset <n>', 'ONNX opset, 13 to 21 (default 13; a model on an imported ONNX backbone keeps its file\'s opset)')
    .option('--model <id>', 'a model id (default: the chosen one; thaw models <project> lists them)')
    .option('--force', 'replace an earlier export in --out')
    .option('--backend <name>', 'auto | tensorflow | wasm | cpu', 'auto')
    .option('--json', 'print one JSON object')
    .action((dir: string, o: { format?: string; out: string; opset?: string; model?: string; force?: boolean; backend: string; json?: boolean }) =>
      withStudio({ json: o.json, backend: o.backend }, async ({ api, out }) => {
        // arguments first: a typo should not cost a project open
        const format = parseFormat(o.format)
        const opset = o.opset === undefined ? undefined : parseOpset(o.opset)
        const modelId = o.model === undefined ? undefined : parseModelId(o.model, '--model')
        await api.openProject({ path: dir })
        const r = await api
          .exportModel({ format, out: o.out, overwrite: !!o.force, ...(opset === undefined ? {} : { opset }), ...(modelId === undefined ? {} : { modelId }) })
          .catch((err: unknown) => {
            throw o.force ? err : withForceHint(err)
          })
        out.result(r, () => exportHuman(r))
      })
    )
}
