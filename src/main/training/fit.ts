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
import { trainStep, type Trainable } from './step'
import type { Callback } from './callbacks/callback'

export type { EpochMetrics, StagePhases }

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

/** Logits [n * classes] of a batch: a native engine's (FastStep.predict), or TF.js's forward. */
export type Predict = (x: tf.Tensor) => Promise<Float32Array>

/** The TF.js forward in inference mode, as a Predict. */
export const tfjsPredict =
  (model: Trainable): Predict =>
  async (x) => {
    const logits = tf.tidy(() => model.forward(x, false, 0))
    try {
      return (await logits.data()) as Float32Array
    } finally {
      logits.dispose()
    }
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
  const sched = scheduleFor(stage)
  const peaks = groupRates(stage.lr, model.groups.length)
  const optimizers = args.optimizers ?? peaks.map((lr) => makeOptimizer(stage, lr))
  const batches = Math.max(1, batchBounds(data.trainSize, stage.batchSize).length)
  const weights = args.classWeights ? tf.tensor1d(args.classWeights) : null
  const history: EpochMetrics[] = []
  // a native engine runs the steps when it can start (engines/); TF.js's autodiff otherwise
  const phases: StagePhases = { epochs: 0, beginMs: 0, dataMs: 0, stepsMs: 0, validMs: 0, syncMs: 0, callbacksMs: 0 }
  const timed = async <T>(phase: Exclude<keyof StagePhases, 'epochs' | 'engine'>, work: Promise<T>): Promise<T> => {
    const t = performance.now()
    try {
      return await work
    } finally {
      phases[phase] += performance.now() - t
    }
  }
  const unavailable = model.fast ? await timed('beginMs', model.fast.begin(stage, optimizers)) : 'no native engine for this stage'
  const fast = unavailable === null ? model.fast! : null
  const engineBefore = fast?.timings ? { ...fast.timings } : null
  args.onRuntime?.(fast ? fast.describe() : `tfjs ${tf.getBackend()} (${unavailable})`)
  // validation on the engine's own weights when it can predict; TF.js's (handed back) otherwise
  const predict: Predict = fast?.predict?.bind(fast) ?? tfjsPredict(model)
  let unsynced = false
  try {
    const startEpoch = args.startEpoch ?? 0
    if (startEpoch >= stage.epochs && callbacks.some((cb) => cb.stageScored)) {
      // resumed after the stage's last epoch: its weights scored as its last epoch scored them
      const evaluation = await evaluate(model, data, args.classes, Math.max(stage.batchSize, 64), predict)
      for (const cb of callbacks) cb.stageScored?.(evaluation)
    }
    for (let epoch = startEpoch; epoch < stage.epochs; epoch++) {
      const started = Date.now()
      let sum = 0
      let b = 0
      const batchIter = data.trainBatches(epoch, stage.batchSize, seedFrom(args.seed, stageIndex, epoch))
      for (;;) {
        const next = await timed('dataMs', batchIter.next())
        if (next.done) break
        const batch = next.value
        if (args.signal?.aborted) {
          tf.dispose([batch.x, batch.labels])
          throw new ThawError('CANCELLED', 'training was cancelled')
        }
        const pos = (epoch * batches + b) / (stage.epochs * batches)
        const rates = peaks.map((lr) => lr * sched(pos))
        const seed = seedFrom(args.seed, stageIndex, epoch, b)
        let loss: number
        const stepStarted = performance.now()
        if (fast) {
          unsynced = true
          loss = await fast.step({ x: batch.x, labels: batch.labels, classWeights: args.classWeights, rates, weightDecay: stage.weightDecay, seed })
        } else loss = trainStep(model, optimizers, rates, stage.weightDecay, batch.x, batch.labels, weights, seed, model.microBatch)
        phases.stepsMs += performance.now() - stepStarted
        tf.dispose([batch.x, batch.labels])
        checkLoss(loss, { stage: stageIndex, name: stage.name, epoch, batch: b })
        sum += loss
        b++
        for (const cb of callbacks) cb.afterBatch?.({ stage: stageIndex, epoch, batch: b, batches, loss, rates })
        await args.yieldEvery?.()
      }
      const trainMs = Date.now() - started
      const evaluation = await timed('validMs', evaluate(model, data, args.classes, Math.max(stage.batchSize, 64), predict))
      phases.epochs++
      checkLoss(evaluation.loss, { stage: stageIndex, name: stage.name, epoch })
      const metrics: EpochMetrics = {
        stage: stageIndex,
        epoch: epoch + 1,
        trainLoss: b ? sum / b : NaN,
        validLoss: evaluation.loss,
        validAccuracy: evaluation.accuracy,
        ms: Date.now() - started,
        trainMs
      }
      history.push(metrics)
      const state = { stageIndex, stage, model, optimizers }
      // the engine hands its weights back only when a callback reads them in TF.js this epoch
      if (fast && unsynced && callbacks.some((cb) => cb.readsWeights?.(metrics, state))) {
        await timed('syncMs', fast.sync(optimizers))
        unsynced = false
      }
      let stop = false
      const callbacksStarted = performance.now()
      for (const cb of callbacks) {
        if ((await cb.afterEpoch?.(metrics, evaluation, state)) === 'stop') stop = true
      }
      phases.callbacksMs += performance.now() - callbacksStarted
      if (stop) break
    }
  } finally {
    // the stage's end (done, stopped early, cancelled, failed): TF.js gets the weights the steps
    // left, as the TF.js path leaves them; then the engine frees what it held for the stage
    try {
      if (fast && unsynced) await timed('syncMs', fast.sync(optimizers))
    } finally {
      if (fast?.timings && engineBefore) phases.engine = Object.fromEntries(Object.entries(fast.timings).map(([k, v]) => [k, v - (engineBefore[k] ?? 0)]))
      args.onPhases?.(phases)
      weights?.dispose()
      if (!args.optimizers) for (const o of optimizers) o.dispose()
      await fast?.end?.()
    }
  }
  return history
}
