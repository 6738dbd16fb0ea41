import { ThawError } from '../errors'
import type { Stage } from '../../shared/plan'
import type { LrFindResult } from '../../shared/types'
import { seedFrom } from '../util/random'
import type { FitData } from './data/fitData'
import { makeOptimizer } from './optimizers'
import { groupRates } from '../../shared/schedules'
import { trainStep, type Trainable } from './step'
import * as tf from '@tensorflow/tfjs'


/** fastai's valley rule: the longest stretch where the loss keeps falling, and a point about
 * two thirds of the way down it. */
export function valley(lrs: number[], losses: number[]): number {
  const n = losses.length
  if (n === 0) throw new ThawError('LR_FIND_FAILED', 'the LR range test gave no losses to read a learning rate from')
  const lds = new Array<number>(n).fill(1)
  let maxStart = 0
  let maxEnd = 0
  for (let i = 1; i < n; i++) {
    for (let j = 0; j < i; j++) {
      if (losses[i]! < losses[j]! && lds[i]! < lds[j]! + 1) lds[i] = lds[j]! + 1
    }
    if (lds[maxEnd]! < lds[i]!) {
      maxEnd = i
      maxStart = maxEnd - lds[maxEnd]!
    }
  }
  const sections = (maxEnd - maxStart) / 3
  const idx = Math.min(n - 1, Math.max(0, maxStart + Math.floor(sections) + Math.floor(sections / 2)))
  return lrs[idx]!
}

/** The LR range test: one optimizer step per batch at exponentially growing rates, recording a
 * smoothed loss, stopping once it explodes. The steps run on the trainable's native engine when
 * it starts (every core, as a stage's steps do; `runtime` says which ran), else on TF.js. The
 * caller throws the trained weights away, since the test wrecks them on purpose: an engine's
 * steps leave the TF.js weights as they were, TF.js's do not. */
export async function findLr(
  model: Trainable,
  data: FitData,
  stage: Stage,
  opts: { start?: number; end?: number; steps?: number; seed?: number; signal?: AbortSignal; onStep?: (i: number, n: number) => Promise<void> | void }
): Promise<LrFindResult> {
  const start = opts.start ?? 1e-7
  const end = opts.end ?? 10
  const steps = opts.steps ?? 100
  // the stage's spread of rates between groups is kept; the sweep scales all of them
  const spread = groupRates(stage.lr, model.groups.length).map((r, _, all) => r / all[all.length - 1]!)
  const optimizers = spread.map(() => makeOptimizer(stage, start))
  const unavailable = model.fast ? await model.fast.begin(stage, optimizers) : 'no native engine for this stage'
  const fast = unavailable === null ? model.fast! : null
  const runtime = fast ? fast.describe() : `tfjs ${tf.getBackend()} (${unavailable})`
  const lrs: number[] = []
  const losses: number[] = []
  let avg = 0
  let best = Infinity
  try {
    let i = 0
    for (let epoch = 0; i < steps; epoch++) {
      for await (const batch of data.trainBatches(epoch, stage.batchSize, seedFrom(opts.seed ?? 0, 'lr-find', epoch))) {
        if (i >= steps || opts.signal?.aborted) {
          tf.dispose([batch.x, batch.labels])
          continue
        }
        const lr = start * (end / start) ** (i / (steps - 1))
        const rates = spread.map((f) => f * lr)
        const seed = seedFrom('lr-find', i)
        const loss = fast
          ? await fast.step({ x: batch.x, labels: batch.labels, classWeights: null, rates, weightDecay: stage.weightDecay, seed })
          : trainStep(model, optimizers, rates, stage.weightDecay, batch.x, batch.labels, null, seed, model.microBatch)
        tf.dispose([batch.x, batch.labels])
        avg = 0.98 * avg + 0.02 * loss
        const smooth = avg / (1 - 0.98 ** (i + 1))
        lrs.push(lr)
        losses.push(smooth)
        best = Math.min(best, smooth)
        i++
        await opts.onStep?.(i, steps)
        if (!Number.isFinite(smooth) || (i > 10 && smooth > 4 * best)) i = steps
      }
      if (opts.signal?.aborted) break
    }
  } finally {
    for (const o of optimizers) o.dispose()
  }
  // the last points are past the explosion: fastai drops them too
  const keep = Math.max(1, lrs.length - 5)
  return { lrs: lrs.slice(0, keep), losses: losses.slice(0, keep), suggestion: valley(lrs.slice(0, keep), losses.slice(0, keep)), runtime }
}
