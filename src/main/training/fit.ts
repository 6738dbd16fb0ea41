import * as tf from '@tensorflow/tfjs'
import type { Stage } from '../../shared/plan'
import type { EpochMetrics, StagePhases } from '../../shared/types'
import { ThawError } from '../errors'
import { seedFrom } from '../util/random'
import { batchBounds, type FitData } from './data/fitData'
import { checkLoss } from './finite'
import { softmaxRows, validMetrics, type ValidMetrics } from './metrics'
import { makeOptimizer } from './optimizers'
import { groupRates, scheduleFor } from '../../shared/schedules'
import type { Trainable } from './step'
import type { Callback } from './callbacks/callback'
import { StageClock } from './stageClock'
import { StageSteps, tfjsPredict, type Predict } from './stageSteps'

export type { EpochMetrics, Predict, StagePhases }

export interface Evaluation extends ValidMetrics {
  /** probabilities of every validation item, [n * classes] */
  probs: Float32Array
}

export interface FitStageArgs {
  stageIndex: number
  stage: Stage
  model: Trainable
  data: FitData
  classes: string[]
  classWeights: number[] | null
  seed: number
  /** to resume a stage after a checkpoint */
  startEpoch?: number
  optimizers?: tf.Optimizer[]
  signal?: AbortSignal
  /** lets the worker's event loop run between batches (cancel messages) */
  yieldEvery?: () => Promise<void>
  /** told once what runs the stage's steps: a native engine, or TF.js and why */
  onRuntime?: (runtime: string) => void
  /** told at the stage's end where its time went (StagePhases), for the bench and the report */
  onPhases?: (phases: StagePhases) => void
}

/** Predicts every validation item and scores it: with TF.js's forward, or with `predict` (the
 * engine that runs the stage's steps, on its own copy of the weights). */
export async function evaluate(model: Trainable, data: FitData, classes: string[], batchSize: number, predict: Predict = tfjsPredict(model)): Promise<Evaluation> {
  const parts: Float32Array[] = []
  for await (const b of data.validBatches(batchSize)) {
    try {
      parts.push(softmaxRows(await predict(b.x), classes.length))
    } finally {
      tf.dispose([b.x, b.labels])
    }
  }
  const probs = new Float32Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const p of parts) {
    probs.set(p, offset)
    offset += p.length
  }
  return { ...validMetrics(probs, data.validLabels, classes), probs }
}

/** The fit loop: epochs of shuffled batches, the stage's schedule applied to every group's peak
 * rate at every step, an evaluation after each epoch, callbacks for everything else. */
export async function fitStage(args: FitStageArgs, callbacks: Callback[] = []): Promise<EpochMetrics[]> {
  const { stage, model, data, stageIndex } = args
  const optimizers = args.optimizers ?? groupRates(stage.lr, model.groups.length).map((lr) => makeOptimizer(stage, lr))
  const clock = new StageClock()
  const steps = await clock.time('beginMs', () => StageSteps.start(model, stage, optimizers, args.classWeights))
  args.onRuntime?.(steps.runtime)
  const score = (): Promise<Evaluation> => clock.time('validMs', () => evaluate(model, data, args.classes, Math.max(stage.batchSize, 64), steps.predict))
  const history: EpochMetrics[] = []
  try {
    const startEpoch = args.startEpoch ?? 0
    if (startEpoch >= stage.epochs && callbacks.some((cb) => cb.stageScored)) {
      // resumed after the stage's last epoch: its weights scored as its last epoch scored them
      const evaluation = await score()
      for (const cb of callbacks) cb.stageScored?.(evaluation)
    }
    for (let epoch = startEpoch; epoch < stage.epochs; epoch++) {
      const started = Date.now()
      const trainLoss = await trainEpoch(args, epoch, steps, clock, callbacks)
      const trainMs = Date.now() - started
      const evaluation = await score()
      clock.phases.epochs++
      checkLoss(evaluation.loss, { stage: stageIndex, name: stage.name, epoch })
      const metrics: EpochMetrics = { stage: stageIndex, epoch: epoch + 1, trainLoss, validLoss: evaluation.loss, validAccuracy: evaluation.accuracy, ms: Date.now() - started, trainMs }
      history.push(metrics)
      const state = { stageIndex, stage, model, optimizers }
      // the engine hands its weights back only when a callback reads them in TF.js this epoch
      if (callbacks.some((cb) => cb.readsWeights?.(metrics, state))) await clock.time('syncMs', () => steps.handBack())
      if (await clock.time('callbacksMs', () => afterEpoch(callbacks, metrics, evaluation, state))) break
    }
  } finally {
    // the stage's end (done, stopped early, cancelled, failed): TF.js gets the weights the steps
    // left, as the TF.js path leaves them; then the engine frees what it held for the stage
    try {
      await clock.time('syncMs', () => steps.handBack())
    } finally {
      const engine = steps.engineTimings()
      args.onPhases?.(engine ? { ...clock.phases, engine } : clock.phases)
      if (!args.optimizers) for (const o of optimizers) o.dispose()
      await steps.end()
    }
  }
  return history
}

/** Every callback's afterEpoch, in order; whether one said stop. */
async function afterEpoch(callbacks: Callback[], ...args: Parameters<NonNullable<Callback['afterEpoch']>>): Promise<boolean> {
  let stop = false
  for (const cb of callbacks) if ((await cb.afterEpoch?.(...args)) === 'stop') stop = true
  return stop
}

/** One epoch's shuffled batches, each a step at the schedule's rates; the mean batch loss. */
async function trainEpoch(args: FitStageArgs, epoch: number, steps: StageSteps, clock: StageClock, callbacks: Callback[]): Promise<number> {
  const { stage, data, stageIndex } = args
  const sched = scheduleFor(stage)
  const peaks = groupRates(stage.lr, args.model.groups.length)
  const batches = Math.max(1, batchBounds(data.trainSize, stage.batchSize).length)
  const batchIter = data.trainBatches(epoch, stage.batchSize, seedFrom(args.seed, stageIndex, epoch))
  let sum = 0
  let b = 0
  for (;;) {
    const next = await clock.time('dataMs', () => batchIter.next())
    if (next.done) break
    const { x, labels } = next.value
    let loss: number
    try {
      if (args.signal?.aborted) throw new ThawError('CANCELLED', 'training was cancelled')
      const pos = (epoch * batches + b) / (stage.epochs * batches)
      const rates = peaks.map((lr) => lr * sched(pos))
      loss = await clock.time('stepsMs', () => steps.step({ x, labels, rates, seed: seedFrom(args.seed, stageIndex, epoch, b) }))
      checkLoss(loss, { stage: stageIndex, name: stage.name, epoch, batch: b })
      b++
      for (const cb of callbacks) cb.afterBatch?.({ stage: stageIndex, epoch, batch: b, batches, loss, rates })
    } finally {
      tf.dispose([x, labels])
    }
    sum += loss
    await args.yieldEvery?.()
  }
  return b ? sum / b : NaN
}
