/**
 * Validation quality on hymenoptera (245 train / 153 valid, MobileNetV2): each plan trained with
 * several seeds through the studio's own `train` command, so every stage runs on whatever engine
 * the studio picks (ONNX Runtime or TF.js) and the table records which one ran it (each stage's
 * `runtime`, what fit's onRuntime reported). Reported as mean ± sample standard deviation, with
 * the range and every run.
 *
 * Part of `npm run bench train`; alone: `npm run bench train -- --accuracy-only`. Flags:
 *   --quick           one seed instead of three
 *   --plans=a,b       only these rows (keys of ACCURACY_PLANS)
 *   --runtime=tfjs    every training step on TF.js (THAW_TRAIN_RUNTIME), the reference path
 */
import { fineTunePlan, gradualThawPlan, headOnlyPlan, type PlanInput } from '../../src/shared/plan'
import type { StudioApi } from '../../src/shared/contract'

/** Best plan found so far (3 seeds each, against head only and the presets): a longer head
 * stage, then two thawing stages with small rates, all on 4 augmented views per image. */
export const BEST_PLAN: PlanInput = {
  name: 'head 8, last group 4, last two 4',
  stages: [
    { name: 'head', freezeTo: -1, epochs: 8, lr: 3e-3 },
    { name: 'last group', freezeTo: -2, epochs: 4, lr: [3e-5, 3e-4] },
    { name: 'last two groups', freezeTo: -3, epochs: 4, lr: [1e-5, 1e-4] }
  ]
}

/** The rows of the table: a plan and its augmented views per training image. */
export const ACCURACY_PLANS: Record<string, { label: string; plan: PlanInput; views: number }> = {
  head: { label: 'head only, 10 epochs', plan: headOnlyPlan(10, 3e-3), views: 0 },
  'head-views': { label: 'head only, 10 epochs, 4 views', plan: headOnlyPlan(10, 3e-3), views: 4 },
  'gradual-thaw': { label: '"gradual thaw" preset (head, last group, last two), 4 views', plan: gradualThawPlan(4, 3e-3), views: 4 },
  'two-stage': { label: `${BEST_PLAN.name!}, 4 views`, plan: BEST_PLAN, views: 4 },
  'fine-tune': { label: '"fine-tune" preset (head 1, all 5)', plan: fineTunePlan(), views: 0 }
}

export const DEFAULT_SEEDS = [1, 2, 3]

export interface AccuracyOptions {
  seeds: number[]
  plans: string[]
}

/** The options from the command line (see the file's comment); a bad flag is an error that says which. */
export function accuracyOptions(argv: readonly string[]): AccuracyOptions {
  const flag = (name: string): string | undefined => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3)
  const plans = flag('plans')?.split(',').filter(Boolean) ?? Object.keys(ACCURACY_PLANS)
  const unknown = plans.filter((p) => !(p in ACCURACY_PLANS))
  if (unknown.length) throw new Error(`--plans: unknown ${unknown.join(', ')} (known: ${Object.keys(ACCURACY_PLANS).join(', ')})`)
  const runtime = flag('runtime')
  if (runtime !== undefined && runtime !== 'tfjs' && runtime !== 'auto') throw new Error(`--runtime: ${runtime} is neither tfjs nor auto`)
  return { seeds: argv.includes('--quick') || argv.includes('quick') ? DEFAULT_SEEDS.slice(0, 1) : DEFAULT_SEEDS, plans }
}

/** `--runtime=tfjs` for the engine workers, which read the environment when they start: call it
 * before the studio is made. */
export function applyRuntimeFlag(argv: readonly string[]): string {
  const runtime = argv.find((a) => a.startsWith('--runtime='))?.slice('--runtime='.length)
  if (runtime) process.env.THAW_TRAIN_RUNTIME = runtime
  return process.env.THAW_TRAIN_RUNTIME ?? 'auto'
}

const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits

/** Mean, sample standard deviation and range of a few figures. */
export function spread(xs: readonly number[]): { mean: number; sd: number; min: number; max: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1)) : 0
  return { mean, sd, min: Math.min(...xs), max: Math.max(...xs) }
}

/** Trains every row with every seed (the project must have the activations of its views
 * precomputed, or each run computes what it lacks) and returns the table. */
export async function accuracyTable(api: StudioApi, opts: AccuracyOptions): Promise<Record<string, unknown>> {
  const rows: Record<string, unknown> = {}
  for (const key of opts.plans) {
    const { label, plan, views } = ACCURACY_PLANS[key]!
    const runs: { seed: number; accuracy: number; validLoss: number; seconds: number; runtimes: Record<string, string> }[] = []
    for (const seed of opts.seeds) {
      const started = performance.now()
      const r = await api.train({ plan, views, seed })
      runs.push({
        seed,
        accuracy: round(r.valid.accuracy * 100),
        validLoss: round(r.valid.loss, 4),
        seconds: round((performance.now() - started) / 1000),
        // what ran each stage's steps: the engine, or TF.js and why
        runtimes: Object.fromEntries(r.stages.map((s) => [s.name, s.runtime ?? 'not reported']))
      })
      // a long table: each run as it ends, on stderr (stdout is the JSON)
      process.stderr.write(`accuracy: ${key} seed ${seed}: ${JSON.stringify(runs.at(-1))}\n`)
    }
    const acc = spread(runs.map((r) => r.accuracy))
    const loss = spread(runs.map((r) => r.validLoss))
    rows[key] = {
      plan: label,
      accuracy: `${round(acc.mean)} ± ${round(acc.sd)}`,
      accuracyMean: round(acc.mean),
      accuracySd: round(acc.sd),
      accuracyRange: [acc.min, acc.max],
      validLossMean: round(loss.mean, 4),
      runs
    }
  }
  return { validImages: 153, seeds: opts.seeds, spread: 'sample standard deviation over the seeds', rows }
}
