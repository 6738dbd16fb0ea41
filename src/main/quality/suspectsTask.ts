// Runs in an engine worker: out-of-fold probabilities for some of the folds of a k-fold split,
// each fold's head trained on the cached features of the other folds with the project's own
// head and fit loop (so no image is scored by a model that saw its label).
import { stageSchema } from '../../shared/plan'
import { ThawError } from '../errors'
import type { TaskContext } from '../engine/protocol'
import { engine, projectDb } from '../engine/runtime'
import { findSet, readActivations, type ActivationSetKey } from '../precompute/activationStore'
import { ActivationData } from '../training/data/activationData'
import { evaluate, fitStage } from '../training/fit'
import { buildHead, headTrainable } from '../training/head'
import { classWeightsFromCounts } from '../training/metrics'
import { seedFrom } from '../util/random'

/** The head the folds train: the project's head, narrower, for 3 epochs of one-cycle. Few
 * epochs matter most: a head trained longer starts to learn the wrong labels it should doubt.
 * Measured on hymenoptera with 10% of training labels flipped (3 seeds): flips in the top
 * 2x suspects 92-96% at 3 epochs, 80-88% at 6, 80-92% with the full 512-unit head at 4. */
export const SUSPECT_HEAD = { hidden: 128, epochs: 3, lr: 3e-3, batchSize: 32 } as const

export interface SuspectsArgs {
  projectDir: string
  key: ActivationSetKey
  classes: number
  /** every labelled item: its content hash, label and fold */
  items: { hash: string; label: number; fold: number }[]
  /** the folds this task trains (and whose items it scores) */
  folds: number[]
  seed: number
  /** cores this task's steps may use: the machine's, shared by the tasks that train at once */
  threads?: number
}

export interface SuspectsFoldResult {
  /** item indices scored, and their probabilities [n * classes] */
  items: number[]
  probs: number[]
  ms: number
}

export async function suspectsTask(args: SuspectsArgs, ctx: TaskContext): Promise<SuspectsFoldResult> {
  const started = Date.now()
  await engine()
  const db = projectDb(args.projectDir)
  const set = findSet(db, args.key)
  if (!set) throw new ThawError('NO_CACHE', 'this project has no cached features yet: run precompute first')
  const rows = readActivations(db, set, args.items.map((it) => ({ hash: it.hash, view: 0 })))
  const stage = stageSchema.parse({ name: 'suspects', epochs: SUSPECT_HEAD.epochs, lr: SUSPECT_HEAD.lr, batchSize: SUSPECT_HEAD.batchSize })
  const classNames = Array.from({ length: args.classes }, (_, i) => String(i))
  const scored: number[] = []
  const probs: number[] = []
  for (const [done, f] of args.folds.entries()) {
    const train: { label: number; rows: number[] }[] = []
    const held: { label: number; row: number }[] = []
    const heldIndex: number[] = []
    const counts = new Array<number>(args.classes).fill(0)
    args.items.forEach((it, i) => {
      if (it.fold === f) {
        held.push({ label: it.label, row: i })
        heldIndex.push(i)
      } else {
        train.push({ label: it.label, rows: [i] })
        counts[it.label]!++
      }
    })
    if (!held.length) continue
    const data = new ActivationData(set.shape, rows, train, held)
    const seed = seedFrom(args.seed, 'suspects', f)
    const head = buildHead(set.shape[0]!, args.classes, { seed, hidden: SUSPECT_HEAD.hidden })
    try {
      const model = headTrainable(head, args.threads ? { threads: args.threads } : {})
      await fitStage({
        stageIndex: 0,
        stage,
        model,
        data,
        classes: classNames,
        classWeights: classWeightsFromCounts(counts),
        seed,
        signal: ctx.signal,
        yieldEvery: ctx.checkpoint
      })
      const evaluation = await evaluate(model, data, classNames, 256)
      scored.push(...heldIndex)
      for (const p of evaluation.probs) probs.push(p)
    } catch (err) {
      if (ctx.signal.aborted) throw new ThawError('CANCELLED', 'finding suspects was cancelled')
      throw err
    } finally {
      head.dispose()
    }
    ctx.progress(done + 1, args.folds.length, `fold ${f + 1} trained`)
  }
  return { items: scored, probs, ms: Date.now() - started }
}
