import type { Command } from 'commander'
import type { PlanInput } from '../../shared/plan'
import type { TrainReport } from '../../shared/types'
import { ThawError } from '../errors'
import { looksLikeBundle } from '../export/bundleFiles'
import { defaultOf, WAIT_HELP } from './defaults'
import { PLAN_MAX_BYTES, readRegularTextSync } from '../util/safeRead'
import { parseModelId } from './models'
import { withFrozenRuntimeOptions, withStudio } from './session'

function readPlan(file: string): PlanInput {
  // a regular file of at most 1 MB: a FIFO would hang the read, /dev/zero would never end
  const text = readRegularTextSync(file, { maxBytes: PLAN_MAX_BYTES, what: '--plan' })
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    throw new ThawError('BAD_PLAN', `the plan ${file} is not valid JSON: ${(err as Error).message}`)
  }
  return planFromJson(data, file)
}

/** A plan file holds an object { "stages": [...] } or a bare list of stages; anything else
 * (null, a number, a string) is refused, never read as "no plan" (which trains the default). */
function planFromJson(data: unknown, file: string): PlanInput {
  if (Array.isArray(data)) return { stages: data } as PlanInput
  if (typeof data !== 'object' || data === null) {
    throw new ThawError('BAD_PLAN', `the plan ${file} must be a JSON object { "stages": [ ... ] } or a list of stages, not ${data === null ? 'null' : typeof data}`)
  }
  return data as PlanInput
}

const parseBool = (v: string, flag: string): boolean => {
  if (v === 'true') return true
  if (v === 'false') return false
  throw new ThawError('BAD_ARGS', `${flag} must be true or false, not "${v}"`)
}

function trainJson(r: TrainReport): unknown {
  const epoch = (e: TrainReport['epochs'][number]) => ({
    epoch: e.epoch,
    trainLoss: e.trainLoss,
    validLoss: e.validLoss,
    validAccuracy: e.validAccuracy,
    ms: e.ms
  })
  const valid = (v: TrainReport['valid']) => ({
    accuracy: v.accuracy,
    loss: v.loss,
    classes: v.classes,
    confusion: v.confusion,
    precision: v.precision,
    recall: v.recall
  })
  return {
    backend: r.backend,
    backbone: r.backbone,
    precompute: r.precompute,
    views: r.views,
    epochs: r.epochs.map(epoch),
    stages: r.stages.map((s) => ({ name: s.name, freezeTo: s.freezeTo, cache: s.cache, epochs: s.epochs.map(epoch), valid: valid(s.valid), ms: s.ms })),
    valid: valid(r.valid),
    msPerEpoch: Math.round(r.msPerEpoch),
    modelId: r.modelId,
    cancelled: r.cancelled
  }
}

function trainHuman(r: TrainReport): string {
  const lines = r.stages.flatMap((s) => [
    `stage "${s.name}" (freezeTo ${s.freezeTo}, cache ${s.cache})`,
    ...s.epochs.map(
      (e) => `  epoch ${e.epoch}: train loss ${e.trainLoss.toFixed(4)}, valid loss ${e.validLoss.toFixed(4)}, accuracy ${(100 * e.validAccuracy).toFixed(1)}% (${e.ms} ms)`
    )
  ])
  lines.push(`validation accuracy ${(100 * r.valid.accuracy).toFixed(1)}% (${r.backbone}, ${r.backend}, ${Math.round(r.msPerEpoch)} ms/epoch)`)
  if (r.cancelled) lines.push('cancelled: kept the weights of the last finished epoch')
  return lines.join('\n')
}

export function registerTrainingCommands(program: Command): void {
  withFrozenRuntimeOptions(program.command('train'))
    .description('train the head on cached activations (or run a staged plan)')
    .argument('<project>', 'project folder')
    .option('--epochs <n>', 'epochs (head only)', defaultOf('train', 'epochs'))
    .option('--lr <x>', 'peak learning rate (head only)', defaultOf('train', 'lr'))
    .option('--precompute <bool>', 'train on cached activations (false: run the backbone on every image every epoch)', defaultOf('train', 'precompute'))
    .option('--views <k>', 'augmented views per training image', defaultOf('train', 'views'))
    .option('--plan <file>', 'a plan: JSON { "stages": [ ... ] }')
    .option('--seed <n>', 'seed for shuffling, views and dropout', defaultOf('train', 'seed'))
    .option('--wait', WAIT_HELP)
    .option('--resume', "continue the project's last interrupted run from its checkpoint")
    .option('--backbone <id>', 'backbone to use')
    .option('--backend <name>', 'auto | tensorflow | wasm | cpu', 'auto')
    .option('--json', 'print one JSON object')
    .action((dir: string, o: Record<string, string | boolean | undefined>) =>
      withStudio({ json: !!o.json, project: dir, backend: o.backend as string, runtime: o.runtime as string, provider: o.provider as string, wait: !!o.wait }, async ({ api, out, studio }) => {
        const plan = o.plan ? readPlan(o.plan as string) : undefined
        const precompute = parseBool(o.precompute as string, '--precompute')
        if (plan && !o.resume) {
          // what each stage will read, and what its cache costs, before anything is built
          for (const c of await api.estimateCaches({ plan, precompute, views: Number(o.views) })) {
            const size = `${(c.bytes / 1e6).toFixed(1)} MB`
            out.info(`stage "${c.stage}": ${c.cached ? `cache at ${c.boundary} (${size})` : `no cache: ${c.reason}`}`)
          }
        }
        studio.subscribe((e) => {
          if (e.event === 'trainStage') out.info(`stage ${e.payload.index + 1} "${e.payload.name}": ${e.payload.cache === 'none' ? e.payload.note : `reading the cache at ${e.payload.cache}`}`)
        })
        const r = await api.train({
          epochs: Number(o.epochs),
          lr: Number(o.lr),
          precompute,
          views: Number(o.views),
          seed: Number(o.seed),
          resume: !!o.resume,
          ...(plan ? { plan } : {}),
          ...(o.backbone ? { backbone: o.backbone as string } : {})
        })
        out.result(trainJson(r), () => trainHuman(r))
      })
    )

  withFrozenRuntimeOptions(program.command('lr-find'))
    .description('LR range test: loss against learning rate, and a suggested rate')
    .argument('<project>', 'project folder')
    .option('--precompute <bool>', 'use cached activations', defaultOf('lrFind', 'precompute'))
    .option('--views <k>', 'augmented views per training image', defaultOf('lrFind', 'views'))
    .option('--plan <file>', "run the test for a stage of this plan, with that stage's freezing")
    .option('--stage <n>', 'which stage of the plan (1 = the first)', '1')
    .option('--steps <n>', 'steps of the sweep', defaultOf('lrFind', 'steps'))
    .option('--wait', WAIT_HELP)
    .option('--backend <name>', 'auto | tensorflow | wasm | cpu', 'auto')
    .option('--json', 'print one JSON object')
    .action((dir: string, o: Record<string, string | boolean | undefined>) =>
      withStudio({ json: !!o.json, project: dir, backend: o.backend as string, runtime: o.runtime as string, provider: o.provider as string, wait: !!o.wait }, async ({ api, out }) => {
        let stage: PlanInput['stages'][number] | undefined
        if (o.plan) {
          const plan = readPlan(o.plan as string)
          const n = Number(o.stage)
          stage = plan.stages?.[n - 1]
          if (!Number.isInteger(n) || !stage) throw new ThawError('BAD_ARGS', `--stage must be 1..${plan.stages?.length ?? 0}, not "${o.stage}"`)
        }
        const r = await api.lrFind({
          precompute: parseBool(o.precompute as string, '--precompute'),
          views: Number(o.views),
          steps: Number(o.steps),
          ...(stage ? { stage } : {})
        })
        out.result(r, () => `suggested learning rate ${r.suggestion.toPrecision(2)} (from ${r.lrs.length} steps)`)
      })
    )

  withFrozenRuntimeOptions(program.command('predict'))
    .description("predict images with the project's chosen model (or --model), or with an exported bundle; --all scores every usable image of the project")
    .argument('<project>', 'project folder, or a bundle folder written by "thaw export"')
    .argument('[images...]', 'image files')
    .option('--all', "every usable image of the project (train, valid, test, unlabelled), from the cache")
    .option('--model <id>', 'a model id (default: the chosen one)')
    .option('--backend <name>', 'auto | tensorflow | wasm | cpu', 'auto')
    .option('--json', 'print JSON')
    .action((dir: string, images: string[], o: { json?: boolean; backend: string; runtime: string; provider: string; all?: boolean; model?: string }) => {
      const bundle = looksLikeBundle(dir)
      return withStudio({ json: o.json, project: bundle ? undefined : dir, backend: o.backend, runtime: o.runtime, provider: o.provider }, async ({ api, out }) => {
        const modelId = o.model === undefined ? undefined : parseModelId(o.model, '--model')
        if (bundle && (o.all || modelId !== undefined)) throw new ThawError('BAD_ARGS', `${o.all ? '--all' : '--model'} works on a project, and ${dir} is an exported bundle`)
        if (o.all) {
          if (images.length) throw new ThawError('BAD_ARGS', '--all scores every image of the project: give no image files with it')
          const r = await api.predictAll({ ...(modelId === undefined ? {} : { modelId }) })
          // `excluded`: an excluded image is still scored (the grid shows it) but out of every count
          const predictions = r.predictions.map((p) => ({ path: p.path, split: p.split, label: p.label, excluded: p.excluded, predicted: p.predicted, confidence: p.confidence, probs: p.probs }))
          out.result({ model: r.model, predictions }, () =>
            [
              ...r.predictions.map((p) => `${p.path}: ${p.predicted} (${(100 * p.confidence).toFixed(1)}%)${p.label !== null && p.label !== p.predicted ? ` — labelled ${p.label}` : ''}`),
              `model ${r.model}: ${r.predictions.length} images (${r.computed} scored now, ${r.reused} already, from the ${r.source})`
            ].join('\n')
          )
          if (r.failed.length) throw new ThawError('PREDICT_FAILED', `${r.failed.length} images could not be read: ${r.failed[0]!.path}: ${r.failed[0]!.reason}`)
          return
        }
        if (!images.length) throw new ThawError('BAD_ARGS', 'give image files to predict, or --all for every image of the project')
        const { results } = bundle
          ? await api.predictBundle({ bundle: dir, paths: images })
          : await api.predict({ paths: images, ...(modelId === undefined ? {} : { modelId }) })
        out.result(results, () =>
          results
            .map((r) => (r.error ? `${r.path}: error: ${r.error}` : `${r.path}: ${r.label} (${(100 * r.probs![r.label!]!).toFixed(1)}%)`))
            .join('\n')
        )
        const failed = results.filter((r) => r.error)
        if (failed.length) throw new ThawError('PREDICT_FAILED', `${failed.length} of ${results.length} images could not be read`)
      })
    })
}
