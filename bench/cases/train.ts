/**
 * Training on the hymenoptera set (245 train / 153 valid) with MobileNetV2 on wasm:
 *  - one head epoch on cached activations against the same epoch with the backbone run on every
 *    image (--precompute false);
 *  - one epoch of a stage that thaws the last group, with the cache at its freeze boundary
 *    against without it;
 *  - ms per training image for the last four blocks and the head, from a cached cut;
 *  - the "fine-tune" preset's wall time;
 *  - where a head step's time goes on each runtime (headStep.ts), and a thawing step's for the
 *    last group and the last four blocks, 1 and 2 threads (thawStep.ts);
 *  - the thawed segment's forward + backward alone on ONNX Runtime, per op type (segmentGraph.ts);
 *  - each beside PyTorch CPU on the same cores, run in the same session
 *    (../shared/bench/torch_reference.py, when Debian's python3-torch is installed);
 *  - validation accuracy of head only, the presets and the best plan found, over 3 seeds, with
 *    the runtime of every stage (trainAccuracy.ts).
 *
 *   npm run bench train [-- --quick] [-- --accuracy-only] [-- --plans=head,fine-tune] [-- --runtime=tfjs]
 *   node --import tsx bench/cases/train.ts [--quick] [...the same flags]
 * --quick: one seed for the accuracy table; --accuracy-only: the table alone (no timings).
 */
import { fineTunePlan, type PlanInput } from '../../src/shared/plan'
import type { TrainReport } from '../../src/shared/types'
import { benchProject } from './fixtures'
import { run as headStep } from './headStep'
import { run as thawStep } from './thawStep'
import { run as segmentGraph } from './segmentGraph'
import { torchReference } from './torch'
import { accuracyOptions, accuracyTable, applyRuntimeFlag, BEST_PLAN } from './trainAccuracy'

export { BEST_PLAN }

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits
const pct = (x: number): number => Math.round(x * 1000) / 10

export async function run(argv: readonly string[] = process.argv): Promise<Record<string, unknown>> {
  const accuracyOpts = accuracyOptions(argv)
  const trainRuntime = applyRuntimeFlag(argv)
  if (argv.includes('--accuracy-only')) {
    const { api, studio } = await benchProject('train-accuracy')
    try {
      await api.precompute({ views: 4 })
      return { trainRuntime, accuracy: await accuracyTable(api, accuracyOpts) }
    } finally {
      await studio.close()
    }
  }
  // PyTorch first, while nothing else of ours holds the cores
  const torch = torchReference()
  const steps = await headStep()
  // a thawing step per runtime and thread count, with its phases and ops (thawStep.ts)
  const thawSteps = await thawStep([])
  const segmentSteps = await segmentGraph()
  const { studio, api } = await benchProject('train')
  try {
    await api.precompute({ views: 4 })

    // head epoch on the cache through the studio's whole loop: the steps (trainMs), with the
    // validation (ms), and with what the run does after every epoch (hand-back, checkpoint, best
    // weights, events): the wall time of 11 epochs less that of 1, per epoch
    const timedTrain = async (epochs: number): Promise<{ r: TrainReport; ms: number }> => {
      const started = performance.now()
      return { r: await api.train({ epochs, lr: 3e-3, views: 0 }), ms: performance.now() - started }
    }
    const single = await timedTrain(1)
    const { r: cached, ms: elevenMs } = await timedTrain(11)
    const uncached = await api.train({ epochs: 1, lr: 3e-3, views: 0, precompute: false })
    const headCachedMs = median(cached.epochs.slice(1).map((e) => e.trainMs))
    const headEpochMs = median(cached.epochs.slice(1).map((e) => e.ms))
    const headWallMs = (elevenMs - single.ms) / 10
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

    const accuracy = await accuracyTable(api, accuracyOpts)
    const stats = await studio.engine().stats()
    const torchFigure = (key: string): number | string => (torch.ok ? (torch.figures[key] as number) : torch.why)
    return {
      trainRuntime,
      pytorch: torch.ok ? torch.figures : torch.why,
      headEpoch: {
        cachedMs: headCachedMs,
        cachedMsPerImage: round(headCachedMs / 245, 3),
        withValidationMsPerImage: round(headEpochMs / 245, 3),
        wholeLoopMsPerImage: round(headWallMs / 245, 3),
        runtime: cached.stages[0]?.runtime,
        uncachedMs: headUncachedMs,
        speedup: round(headUncachedMs / Math.max(headCachedMs, 1)),
        pytorchMsPerImage: torchFigure('head_epoch_ms_per_img')
      },
      headStep: steps,
      thawStep: thawSteps,
      segmentGraph: segmentSteps,
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
  void run().then((r) => console.log(JSON.stringify(r, null, 2)))
}
