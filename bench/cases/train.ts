/**
 * Training on the hymenoptera set (245 train / 153 valid) with MobileNetV2 on wasm:
 *  - one head epoch on cached activations against the same epoch with the backbone run on every
 *    image (--precompute false);
 *  - one epoch of a stage that thaws the last group, with the cache at its freeze boundary
 *    against without it;
 *  - ms per training image for the last four blocks and the head, from a cached cut;
 *  - the "fine-tune" preset's wall time;
 *  - where a head step's time goes on each runtime (headStep.ts);
 *  - each beside PyTorch CPU on the same cores, run in the same session
 *    (../shared/bench/torch_reference.py, when Debian's python3-torch is installed);
 *  - validation accuracy of head only, the presets and the best plan found.
 *
 *   node --import tsx bench/cases/train.ts [quick]
 */
import { fineTunePlan, gradualThawPlan, headOnlyPlan, type PlanInput } from '../../src/shared/plan'
import type { TrainReport } from '../../src/shared/types'
import { benchProject } from './fixtures'
import { run as headStep } from './headStep'
import { torchReference } from './torch'

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits
const pct = (x: number): number => Math.round(x * 1000) / 10

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

export async function run(opts: { quick?: boolean } = {}): Promise<Record<string, unknown>> {
  // PyTorch first, while nothing else of ours holds the cores
  const torch = torchReference()
  const steps = await headStep()
  const { studio, api } = await benchProject('train')
  const seeds = opts.quick ? [1] : [1, 2, 3]
  try {
    await api.precompute({ views: 4 })
    const summary = (r: TrainReport) => ({ accuracy: pct(r.valid.accuracy), msPerEpoch: Math.round(r.msPerEpoch) })

    // head epoch: cache against images every epoch
    const cached = await api.train({ epochs: 5, lr: 3e-3, views: 0 })
    const uncached = await api.train({ epochs: 1, lr: 3e-3, views: 0, precompute: false })
    const headCachedMs = median(cached.epochs.slice(1).map((e) => e.trainMs))
    const headUncachedMs = uncached.epochs[0]!.trainMs

    // a stage thawing the last group: boundary cache against full forward
    const lastGroup: PlanInput = { stages: [{ name: 'last group', freezeTo: -2, epochs: 2, lr: [1e-4, 1e-3] }] }
    const thawCached = await api.train({ plan: lastGroup })
    const thawUncached = await api.train({ plan: { stages: [{ ...lastGroup.stages[0]!, epochs: 1 }] }, precompute: false })
    const thawCachedMs = median(thawCached.epochs.map((e) => e.trainMs))
    const thawUncachedMs = thawUncached.epochs[0]!.trainMs

    // last four blocks (groups late + final) and the head, from the cached cut after block 13
    const lastFour = await api.train({ plan: { stages: [{ name: 'last four blocks', freezeTo: -3, epochs: 1, lr: [1e-4, 1e-3] }] } })

    // the whole "fine-tune" preset (caches already built above), wall time
    const fineTuneStarted = performance.now()
    const fineTune = await api.train({ plan: fineTunePlan(), views: 0 })
    const fineTuneSeconds = round((performance.now() - fineTuneStarted) / 1000)

    const accuracy: Record<string, unknown> = {}
    for (const [name, plan, views] of [
      ['head only', headOnlyPlan(10, 3e-3), 0],
      ['head only, 4 views', headOnlyPlan(10, 3e-3), 4],
      ['fine-tune', fineTunePlan(), 0],
      ['gradual thaw, 4 views', gradualThawPlan(4, 3e-3), 4],
      [`${BEST_PLAN.name!}, 4 views`, BEST_PLAN, 4]
    ] as const) {
      const runs: ReturnType<typeof summary>[] = []
      for (const seed of seeds) {
        runs.push(summary(await api.train({ plan, views, seed })))
      }
      const accs = runs.map((r) => r.accuracy)
      accuracy[name] = { runs: accs, mean: round(accs.reduce((a, b) => a + b, 0) / accs.length), msPerEpoch: median(runs.map((r) => r.msPerEpoch)) }
    }
    const stats = await studio.engine().stats()
    const torchFigure = (key: string): number | string => (torch.ok ? (torch.figures[key] as number) : torch.why)
    return {
      pytorch: torch.ok ? torch.figures : torch.why,
      headEpoch: {
        cachedMs: headCachedMs,
        cachedMsPerImage: round(headCachedMs / 245, 3),
        runtime: cached.stages[0]?.runtime,
        uncachedMs: headUncachedMs,
        speedup: round(headUncachedMs / Math.max(headCachedMs, 1)),
        pytorchMsPerImage: torchFigure('head_epoch_ms_per_img')
      },
      headStep: steps,
      thawLastGroupEpoch: { cachedMs: thawCachedMs, uncachedMs: thawUncachedMs, speedup: round(thawUncachedMs / thawCachedMs), msPerTrainImage: round(thawCachedMs / 245), pytorchMsPerImage: torchFigure('train_cut_ms_per_img') },
      lastFourBlocks: { msPerTrainImage: round(lastFour.epochs[0]!.trainMs / 245), pytorchMsPerImage: torchFigure('train_cut13_ms_per_img') },
      fineTunePreset: { seconds: fineTuneSeconds, accuracy: pct(fineTune.valid.accuracy), runtimes: fineTune.stages.map((s) => s.runtime) },
      accuracy,
      workerTensors: stats.map((s) => s.numTensors)
    }
  } finally {
    await studio.close()
  }
}

if (process.argv[1]?.endsWith('train.ts')) {
  void run({ quick: process.argv.includes('quick') }).then((r) => console.log(JSON.stringify(r, null, 2)))
}
