// Runs in the engine worker. TF.js's Adam and momentum SGD (the two optimizers of
// ../optimizers.ts) as one pass over each parameter's Float32Array: the same arithmetic as
// tfjs-core's adam_optimizer.js and momentum_optimizer.js, without a dozen elementwise kernels and
// the wasm heap copies between them. The state moves to and from the TF.js optimizer through its
// public getWeights/setWeights, so checkpoints, resume and the TF.js path see one format.
import * as tf from '@tensorflow/tfjs'
import type { Stage } from '../../../../shared/plan'

const ADAM = { beta1: 0.9, beta2: 0.99, epsilon: 1e-7 } // as makeOptimizer builds it
const MOMENTUM = 0.9

export interface FusedParam {
  /** the TF.js variable this array mirrors (its name keys the optimizer's slots) */
  variable: tf.Variable
  value: Float32Array
  /** decoupled weight decay applies to kernels only (as step.ts) */
  decays: boolean
}

/** One group's optimizer state over plain arrays. */
export class FusedOptimizer {
  private iterations = 0
  /** Adam: first and second moments; SGD: the momentum accumulation (second unused) */
  private readonly first: Float32Array[]
  private readonly second: Float32Array[]

  constructor(
    readonly kind: NonNullable<Stage['optimizer']>,
    private readonly params: FusedParam[]
  ) {
    this.first = params.map((p) => new Float32Array(p.value.length))
    this.second = kind === 'adam' ? params.map((p) => new Float32Array(p.value.length)) : []
  }

  /** Takes the TF.js optimizer's state (a resumed or continued stage); a fresh one has none. */
  async load(opt: tf.Optimizer): Promise<void> {
    const [iter, ...slots] = await opt.getWeights()
    this.iterations = iter ? (await iter.tensor.data())[0]! : 0
    iter?.tensor.dispose()
    if (!slots.length) {
      for (const a of [...this.first, ...this.second]) a.fill(0)
      return
    }
    const expected = this.params.length * (this.kind === 'adam' ? 2 : 1)
    if (slots.length !== expected) throw new Error(`internal: the ${this.kind} optimizer holds ${slots.length} slots for ${this.params.length} variables`)
    for (const [i, slot] of slots.entries()) {
      const into = i < this.params.length ? this.first[i]! : this.second[i - this.params.length]!
      into.set((await slot.tensor.data()) as Float32Array)
    }
  }

  /** Hands the state back to the TF.js optimizer (before checkpoints, evaluation, the stage's end). */
  async store(opt: tf.Optimizer): Promise<void> {
    const old = await opt.getWeights()
    const suffixes = this.kind === 'adam' ? ['m', 'v'] : ['momentum']
    const slots = suffixes.flatMap((suffix, k) =>
      this.params.map((p, i) => ({ name: `${p.variable.name}/${suffix}`, tensor: tf.tensor(k === 0 ? this.first[i]! : this.second[i]!, p.variable.shape) }))
    )
    const iter = { name: 'iter', tensor: tf.scalar(this.iterations, 'int32') }
    await opt.setWeights([iter, ...slots])
    // setWeights makes variables of its own from these; the previous slots are no longer held
    tf.dispose([iter.tensor, ...slots.map((s) => s.tensor), ...old.map((w) => w.tensor)])
  }

  /** One update of every parameter from its gradient, then decoupled weight decay (AdamW). */
  step(grads: readonly Float32Array[], lr: number, weightDecay: number): void {
    const decay = 1 - lr * weightDecay
    if (this.kind === 'adam') {
      const { beta1, beta2, epsilon } = ADAM
      // bias corrections from the step count alone (TF.js multiplies a running product, which a
      // resumed optimizer rebuilds as a power: the last bits differ), so a resumed run is the
      // same function of its checkpoint as the unbroken one, to the bit
      const c1 = 1 - Math.fround(beta1 ** (this.iterations + 1))
      const c2 = 1 - Math.fround(beta2 ** (this.iterations + 1))
      for (const [i, p] of this.params.entries()) adamUpdate(p.value, grads[i]!, this.first[i]!, this.second[i]!, beta1, beta2, c1, c2, epsilon, lr, p.decays && weightDecay > 0 ? decay : 1)
    } else {
      for (const [i, p] of this.params.entries()) momentumUpdate(p.value, grads[i]!, this.first[i]!, MOMENTUM, lr, p.decays && weightDecay > 0 ? decay : 1)
    }
    this.iterations++
  }
}

// Plain loops over typed arrays, kept monomorphic (V8 compiles them to tight machine code).
function adamUpdate(
  w: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  beta1: number,
  beta2: number,
  c1: number,
  c2: number,
  epsilon: number,
  lr: number,
  decay: number
): void {
  const n = w.length
  // lr * (m / c1) / (sqrt(v / c2) + eps), with one division left in the loop (a third faster)
  const stepSize = lr / c1
  const invC2 = 1 / c2
  for (let i = 0; i < n; i++) {
    const gi = g[i]!
    const mi = m[i]! * beta1 + gi * (1 - beta1)
    const vi = v[i]! * beta2 + gi * gi * (1 - beta2)
    m[i] = mi
    v[i] = vi
    w[i] = (w[i]! - (stepSize * mi) / (Math.sqrt(vi * invC2) + epsilon)) * decay
  }
}

function momentumUpdate(w: Float32Array, g: Float32Array, acc: Float32Array, momentum: number, lr: number, decay: number): void {
  const n = w.length
  for (let i = 0; i < n; i++) {
    const a = acc[i]! * momentum + g[i]!
    acc[i] = a
    w[i] = (a * -lr + w[i]!) * decay
  }
}
