// Runs in the engine worker. The state of TF.js's Adam and momentum SGD (the two optimizers of
// ../../optimizers.ts) as plain arrays that the step graph (headStepGraph.ts) reads and writes:
// the update itself runs inside ONNX Runtime. The state moves to and from the TF.js optimizer
// through its public getWeights/setWeights, so checkpoints, resume and the TF.js path see one
// format.
import * as tf from '@tensorflow/tfjs'
import { ADAM, OPTIMIZER_SLOTS, type HeadOptimizer } from './headStepGraph'

/** Two arrays of one value: a step reads `current` and writes `spare` (ONNX Runtime must not
 * write over an input it may still be reading), then they swap. */
export class DoubleBuffer {
  current: Float32Array
  spare: Float32Array

  constructor(initial: Float32Array) {
    this.current = initial
    this.spare = new Float32Array(initial.length)
  }

  swap(): void {
    ;[this.current, this.spare] = [this.spare, this.current]
  }
}

/** One group's optimizer state: the step count and each parameter's slots. */
export class OptimizerState {
  private iterations = 0
  /** [slot][parameter], slots in TF.js's order (Adam: m then v; SGD: momentum) */
  readonly slots: DoubleBuffer[][]

  constructor(
    readonly kind: HeadOptimizer,
    /** the TF.js variables, in the optimizer's order (their names key its slots) */
    private readonly variables: readonly tf.Variable[]
  ) {
    this.slots = OPTIMIZER_SLOTS[kind].map(() => variables.map((v) => new DoubleBuffer(new Float32Array(v.size))))
  }

  /** Takes the TF.js optimizer's state (a resumed or continued stage); a fresh one has none. */
  async load(opt: tf.Optimizer): Promise<void> {
    const [iter, ...slots] = await opt.getWeights()
    this.iterations = iter ? (await iter.tensor.data())[0]! : 0
    iter?.tensor.dispose()
    const mine = this.slots.flat()
    if (!slots.length) {
      for (const b of mine) b.current.fill(0)
      return
    }
    if (slots.length !== mine.length) throw new Error(`internal: the ${this.kind} optimizer holds ${slots.length} slots for ${this.variables.length} variables`)
    for (const [i, slot] of slots.entries()) {
      // the optimizer's own variables: read, never disposed here
      mine[i]!.current.set((await slot.tensor.data()) as Float32Array)
    }
  }

  /** Hands the state back to the TF.js optimizer (before checkpoints, evaluation, the stage's end). */
  async store(opt: tf.Optimizer): Promise<void> {
    const old = await opt.getWeights()
    const slots = OPTIMIZER_SLOTS[this.kind].flatMap((suffix, k) =>
      this.variables.map((v, i) => ({ name: `${v.name}/${suffix}`, tensor: tf.tensor(this.slots[k]![i]!.current, v.shape) }))
    )
    const iter = { name: 'iter', tensor: tf.scalar(this.iterations, 'int32') }
    await opt.setWeights([iter, ...slots])
    // setWeights makes variables of its own from these; the previous slots are no longer held
    tf.dispose([iter.tensor, ...slots.map((s) => s.tensor), ...old.map((w) => w.tensor)])
  }

  /** The scalars of the next update (UPDATE_SCALARS), counting the step. */
  next(lr: number, weightDecay: number): Record<string, number> {
    const decay = weightDecay > 0 ? 1 - lr * weightDecay : 1
    const t = ++this.iterations
    if (this.kind === 'sgd') return { lr, decay }
    // bias corrections from the step count alone (TF.js multiplies a running product, which a
    // resumed optimizer rebuilds as a power: the last bits differ), so a resumed run is the
    // same function of its checkpoint as the unbroken one, to the bit
    const c1 = 1 - Math.fround(ADAM.beta1 ** t)
    const c2 = 1 - Math.fround(ADAM.beta2 ** t)
    return { step_size: lr / c1, inv_c2: 1 / c2, decay }
  }
}
