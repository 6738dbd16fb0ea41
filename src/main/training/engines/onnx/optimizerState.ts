// Runs in the engine worker. TF.js's Adam and momentum SGD (the two optimizers of
// ../../optimizers.ts) over plain arrays: the state lives in the update arena (wasmUpdate.ts)
// next to the weights and gradients, and each step updates every weight in place. The state moves to and from the TF.js optimizer
// through its public getWeights/setWeights, so checkpoints, resume and the TF.js path see one
// format.
import * as tf from '@tensorflow/tfjs'
import { ADAM, MOMENTUM, OPTIMIZER_SLOTS, type HeadOptimizer } from './headStepGraph'
import { momentumSgd, type UpdateArena } from './wasmUpdate'

/** A weight's layout in the arena, to and from TF.js's (SegmentParam's toOnnx/fromOnnx). */
export interface Layout {
  toOnnx(tfjs: Float32Array): Float32Array
  fromOnnx(onnx: Float32Array): Float32Array
}

/** One group's optimizer state: the step count and each parameter's slots. */
export class OptimizerState {
  private iterations = 0
  /** [slot][parameter], slots in TF.js's order (Adam: m then v; SGD: momentum) */
  readonly slots: Float32Array[][]

  constructor(
    readonly kind: HeadOptimizer,
    /** the TF.js variables, in the optimizer's order (their names key its slots) */
    private readonly variables: readonly tf.Variable[],
    private readonly arena: UpdateArena,
    /** per variable, how its values are laid out in the arena when that is not TF.js's layout (a
     * convolution kernel in ONNX's OIHW): the slots are elementwise, so they move with the weight */
    private readonly layouts: readonly (Layout | null)[] = []
  ) {
    this.slots = OPTIMIZER_SLOTS[kind].map(() => variables.map((v) => arena.array(v.size)))
  }

  /** Takes the TF.js optimizer's state (a resumed or continued stage); a fresh one has none. */
  async load(opt: tf.Optimizer): Promise<void> {
    const [iter, ...slots] = await opt.getWeights()
    this.iterations = iter ? (await iter.tensor.data())[0]! : 0
    iter?.tensor.dispose()
    const mine = this.slots.flat()
    if (!slots.length) {
      for (const b of mine) b.fill(0)
      return
    }
    if (slots.length !== mine.length) throw new Error(`internal: the ${this.kind} optimizer holds ${slots.length} slots for ${this.variables.length} variables`)
    for (const [i, slot] of slots.entries()) {
      // the optimizer's own variables: read, never disposed here
      const values = (await slot.tensor.data()) as Float32Array
      const layout = this.layouts[i % this.variables.length]
      mine[i]!.set(layout ? layout.toOnnx(values) : values)
    }
  }

  /** Hands the state back to the TF.js optimizer (before checkpoints, evaluation, the stage's end). */
  async store(opt: tf.Optimizer): Promise<void> {
    const old = await opt.getWeights()
    const slots = OPTIMIZER_SLOTS[this.kind].flatMap((suffix, k) =>
      this.variables.map((v, i) => {
        const layout = this.layouts[i]
        return { name: `${v.name}/${suffix}`, tensor: tf.tensor(layout ? layout.fromOnnx(this.slots[k]![i]!) : this.slots[k]![i]!.slice(), v.shape) }
      })
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

  /** One update of every parameter (the variables' order) from its gradient, then decoupled
   * weight decay on those that decay (kernels: AdamW, SGDW). */
  step(params: readonly { value: Float32Array; grad: Float32Array; decays: boolean }[], lr: number, weightDecay: number): void {
    const s = this.next(lr, weightDecay)
    for (const [i, p] of params.entries()) {
      const decay = p.decays ? s.decay! : 1
      if (this.kind === 'adam') {
        this.arena.adamw(p.value, p.grad, this.slots[0]![i]!, this.slots[1]![i]!, { ...ADAM, stepSize: s.step_size!, invC2: s.inv_c2!, decay })
      } else momentumSgd(p.value, p.grad, this.slots[0]![i]!, MOMENTUM, s.lr!, decay)
    }
  }
}
