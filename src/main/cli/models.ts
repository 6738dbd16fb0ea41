import type { Command } from 'commander'
import type { ModelComparison, ModelRecord } from '../../shared/types'
import { ThawError } from '../errors'
import { withStudio } from './session'

/** A model id from a flag or argument: a whole number from 1, or a clear error naming `what`. */
export function parseModelId(value: string, what: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new ThawError('BAD_ARGS', `${what} must be a model id (a whole number from 1; thaw models <project> lists them), not "${value}"`)
  }
  return n
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`

/** The shape `thaw models --json` prints for each model (issue #8 §1). */
export function modelJson(m: ModelRecord): Record<string, unknown> {
  return {
    id: m.id,
    name: m.name,
    status: m.status,
    chosen: m.chosen,
    createdAt: m.createdAt,
    plan: m.plan,
    seed: m.seed,
    backbone: m.backbone,
    valid: m.valid,
    bytes: m.bytes,
    auto: m.auto,
    note: m.note
  }
}

function modelLine(m: ModelRecord): string {
  const metrics = m.valid ? `accuracy ${pct(m.valid.accuracy)}, loss ${m.valid.loss.toFixed(4)}` : 'no weights'
  const flags = [m.chosen ? 'chosen' : '', m.auto ? 'auto' : '', m.status === 'finished' ? '' : m.status].filter(Boolean).join(', ')
  return `${String(m.id).padStart(4)}  ${m.name}${flags ? ` [${flags}]` : ''}: ${metrics}, ${m.planName}, seed ${m.seed ?? '?'}, ${m.createdAt}, ${mb(m.bytes)}`
}

function compareHuman(c: ModelComparison): string {
  const side = (m: ModelComparison['a']) => `${m.name}: ${m.valid ? `accuracy ${pct(m.valid.accuracy)}, loss ${m.valid.loss.toFixed(4)}` : 'no weights'}, ${m.epochs} epochs`
  return [
    side(c.a),
    side(c.b),
    `${c.changed.length} of ${c.compared} images change their predicted class`,
    ...c.changed.slice(0, 20).map((x) => `  ${x.path}: ${x.a.predicted} (${pct(x.a.confidence)}) -> ${x.b.predicted} (${pct(x.b.confidence)})`),
    ...(c.changed.length > 20 ? [`  … and ${c.changed.length - 20} more (--json lists them all)`] : [])
  ].join('\n')
}

export function registerModelCommands(program: Command): void {
  program
    .command('models')
    .description("a project's models, newest first: every run is kept; one is chosen to predict and export")
    .argument('<project>', 'project folder')
    .option('--delete <id>', 'delete a model and its predictions (frees its disk)')
    .option('--model <id>', 'the model --name and --note change')
    .option('--name <text>', 'rename the model given with --model')
    .option('--note <text>', 'set the note of the model given with --model')
    .option('--json', 'print one JSON object')
    .action((dir: string, o: { delete?: string; model?: string; name?: string; note?: string; json?: boolean }) =>
      withStudio({ json: o.json, project: dir }, async ({ api, out }) => {
        if (o.delete !== undefined) {
          if (o.model !== undefined || o.name !== undefined || o.note !== undefined) throw new ThawError('BAD_ARGS', '--delete cannot be combined with --model, --name or --note')
          const r = await api.deleteModel({ id: parseModelId(o.delete, '--delete') })
          out.result(r, () => `deleted model ${r.deleted} (freed ${mb(r.freedBytes)}); chosen now: ${r.chosen ?? 'none'}`)
          return
        }
        if (o.name !== undefined || o.note !== undefined) {
          if (o.model === undefined) throw new ThawError('BAD_ARGS', '--name and --note need --model <id> to say which model')
          const m = await api.updateModel({ id: parseModelId(o.model, '--model'), ...(o.name !== undefined ? { name: o.name } : {}), ...(o.note !== undefined ? { note: o.note } : {}) })
          out.result({ model: modelJson(m) }, () => modelLine(m))
          return
        }
        if (o.model !== undefined) throw new ThawError('BAD_ARGS', '--model goes with --name or --note here')
        const list = await api.listModels({})
        out.result({ models: list.models.map(modelJson) }, () =>
          list.models.length
            ? [...list.models.map(modelLine), `total ${mb(list.totalBytes)}`].join('\n')
            : 'no models yet: train one (thaw train <project>)'
        )
      })
    )

  program
    .command('choose')
    .description('choose the model that predicts and exports (until another is chosen or it is deleted)')
    .argument('<project>', 'project folder')
    .argument('<id>', 'model id (thaw models <project> lists them)')
    .option('--json', 'print one JSON object')
    .action((dir: string, id: string, o: { json?: boolean }) =>
      withStudio({ json: o.json, project: undefined }, async ({ api, out }) => {
        const model = parseModelId(id, 'the model id')
        await api.openProject({ path: dir })
        const list = await api.chooseModel({ id: model })
        out.result({ chosen: list.chosen }, () => `model ${list.chosen} is chosen: predict and export use it`)
      })
    )

  program
    .command('compare')
    .description('two models side by side: metrics, confusion matrices, curves, and the images whose prediction changed')
    .argument('<project>', 'project folder')
    .argument('<a>', 'model id')
    .argument('<b>', 'model id')
    .option('--backend <name>', 'auto | tensorflow | wasm | cpu', 'auto')
    .option('--json', 'print one JSON object')
    .action((dir: string, a: string, b: string, o: { json?: boolean; backend: string }) =>
      withStudio({ json: o.json, backend: o.backend }, async ({ api, out }) => {
        const ids = { a: parseModelId(a, 'the first model id'), b: parseModelId(b, 'the second model id') }
        await api.openProject({ path: dir })
        const c = await api.compareModels(ids)
        out.result(c, () => compareHuman(c))
      })
    )
}
