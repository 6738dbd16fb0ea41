// Runs in the engine worker. The training step of the studio's head alone (headGraph.ts: its
// forward, loss and backward) written out as one ONNX graph, so
// that ONNX Runtime's native matrix products (MLAS, every core) compute a training step's
// gradients. TF.js on wasm runs the same products on one thread through XNNPACK, repacking the
// 2560 x 512 kernel at every step: that was 70% of a head step.
//
// The graph is a pure function of the batch and the weights: weights go in as inputs and
// gradients come out (into the update arena, wasmUpdate.ts, where the optimizer runs), so nothing
// is kept inside the session between steps. With `optimizer` the graph applies AdamW or momentum
// SGD itself, in elementwise ONNX ops, and gives the updated weights and state instead: measured
// slower than the arena's SIMD pass on CPU (14 passes over memory against one; bench train,
// headStep.updatePlacement), kept for execution providers where elementwise ops are cheap (GPUs).
import { GraphBuilder } from '../../../export/onnx/graph'
import { addHeadTraining, HEAD_PARAMS, HEAD_STATS, paramShape, type HeadDims, type HeadParam } from './headGraph'
import { encodeGraph, valueInfo } from './onnxModel'

export { HEAD_PARAMS, paramShape, type HeadDims, type HeadParam } from './headGraph'

/** Graph inputs, in the order the trainer feeds them. `target` is the one-hot label scaled by the
 * example's share of the batch loss (its class weight over the batch's total weight), so the
 * loss is PyTorch's weighted mean cross-entropy; `mask1`/`mask2` are the dropout multipliers
 * (0 or 1/keep), drawn from the step's seed as the TF.js path draws them (../dropout.ts). */
export const HEAD_STEP_INPUTS = ['x', 'target', 'mask1', 'mask2', 'bn1_gamma', 'bn1_beta', 'fc1_kernel', 'fc1_bias', 'bn2_gamma', 'bn2_beta', 'logits_kernel', 'logits_bias'] as const
/** Graph outputs: the batch loss, one gradient per parameter (`grad_<param>`), and each batch
 * norm's batch mean and (biased) variance, from which the caller updates the running statistics. */
export const HEAD_STEP_OUTPUTS = ['loss', ...HEAD_PARAMS.map((p) => `grad_${p}` as const), ...HEAD_STATS] as const

export type HeadOptimizer = 'adam' | 'sgd'

/** AdamW and momentum SGD as ../../optimizers.ts builds them (tfjs-core's arithmetic). */
export const ADAM = { beta1: 0.9, beta2: 0.99, epsilon: 1e-7 }
export const MOMENTUM = 0.9

/** Each parameter's optimizer state, in the order TF.js's optimizer lists its slots (every
 * parameter's first slot, then every parameter's second). */
export const OPTIMIZER_SLOTS: Record<HeadOptimizer, readonly string[]> = { adam: ['m', 'v'], sgd: ['momentum'] }
export const slotName = (slot: string, p: HeadParam): string => `${slot}_${p}`
/** Per-step scalars of the update: Adam's rate over its first bias correction and the inverse of
 * its second; momentum SGD's rate. `decay` is 1 - lr * weightDecay (kernels only). */
export const UPDATE_SCALARS: Record<HeadOptimizer, readonly string[]> = { adam: ['step_size', 'inv_c2', 'decay'], sgd: ['lr', 'decay'] }

/** Inputs and outputs of the step with an optimizer: HEAD_STEP_INPUTS, then every parameter's
 * optimizer state and the step's scalars; out come the loss, `new_<param>` and `new_<slot>_<param>`
 * for every parameter, and the batch norms' batch statistics. */
export function updateStepIo(kind: HeadOptimizer): { inputs: string[]; outputs: string[] } {
  const state = OPTIMIZER_SLOTS[kind].flatMap((slot) => HEAD_PARAMS.map((p) => slotName(slot, p)))
  return {
    inputs: [...HEAD_STEP_INPUTS, ...state, ...UPDATE_SCALARS[kind]],
    outputs: ['loss', ...HEAD_PARAMS.map((p) => `new_${p}`), ...state.map((s) => `new_${s}`), ...HEAD_STATS]
  }
}

/** The serialized ONNX model (opset 17) of one head training step for these dimensions: the
 * gradients (HEAD_STEP_OUTPUTS), or with `optimizer` the updated weights and state (updateStepIo). */
export function headStepGraph(d: HeadDims, optimizer?: HeadOptimizer): Uint8Array {
  const g = new GraphBuilder()
  const io = optimizer ? updateStepIo(optimizer) : { inputs: [...HEAD_STEP_INPUTS], outputs: [...HEAD_STEP_OUTPUTS] }
  for (const name of io.inputs) g.reserve(name)
  // a gradient is a graph output, or (with an optimizer) an intermediate value the update reads
  const outputs: Parameters<typeof addHeadTraining>[4] = { outputs: { loss: g.reserve('loss') } }
  for (const stat of HEAD_STATS) outputs.outputs![stat] = g.reserve(stat)
  if (!optimizer) for (const p of HEAD_PARAMS) outputs.outputs![`grad_${p}`] = g.reserve(`grad_${p}`)
  const { grads } = addHeadTraining(g, d, 'x', (input) => input, outputs)
  const out = (name: string): string => g.reserve(name)

  if (optimizer) for (const p of HEAD_PARAMS) update(g, optimizer, p, grads[p], /kernel/.test(p), out)

  const shapes = new Map<string, (number | 'N')[]>([
    ['x', ['N', d.features]],
    ['target', ['N', d.classes]],
    ['mask1', ['N', d.features]],
    ['mask2', ['N', d.hidden]],
    ['loss', []],
    ['bn1_mean', [1, d.features]],
    ['bn1_var', [1, d.features]],
    ['bn2_mean', [1, d.hidden]],
    ['bn2_var', [1, d.hidden]]
  ])
  for (const p of HEAD_PARAMS) {
    const shape = paramShape(p, d)
    for (const name of [p, `grad_${p}`, `new_${p}`]) shapes.set(name, shape)
    for (const slot of Object.values(OPTIMIZER_SLOTS).flat()) for (const name of [slotName(slot, p), `new_${slotName(slot, p)}`]) shapes.set(name, shape)
  }
  for (const name of Object.values(UPDATE_SCALARS).flat()) shapes.set(name, [])
  const dims = (name: string): (number | 'N')[] => shapes.get(name) ?? []
  return encodeGraph(
    g,
    'head_train_step',
    io.inputs.map((n) => valueInfo(n, dims(n))),
    io.outputs.map((n) => valueInfo(n, dims(n)))
  )
}

/** One parameter's update from its gradient, as tfjs-core's adam_optimizer.js and
 * momentum_optimizer.js compute it, then decoupled weight decay on kernels (AdamW, SGDW):
 *   adam: m' = b1 m + (1 - b1) g;  v' = b2 v + (1 - b2) g^2;  w' = (w - step_size m' / (sqrt(v' inv_c2) + eps)) decay
 *   sgd:  a' = momentum a + g;  w' = (w - lr a') decay */
function update(g: GraphBuilder, kind: HeadOptimizer, p: HeadParam, gradient: string, decays: boolean, out: (name: string) => string): void {
  const op = (type: string, inputs: string[], output?: string): string => g.node(type, inputs, {}, `update/${p}`, output)
  const decayed = (w: string): void => void (decays ? op('Mul', [w, 'decay'], out(`new_${p}`)) : op('Identity', [w], out(`new_${p}`)))
  if (kind === 'adam') {
    const { beta1, beta2, epsilon } = ADAM
    const [m, v] = OPTIMIZER_SLOTS.adam.map((slot) => slotName(slot, p)) as [string, string]
    const m2 = op('Add', [op('Mul', [m, g.floatScalar(beta1)]), op('Mul', [gradient, g.floatScalar(1 - beta1)])], out(`new_${m}`))
    const v2 = op('Add', [op('Mul', [v, g.floatScalar(beta2)]), op('Mul', [op('Mul', [gradient, gradient]), g.floatScalar(1 - beta2)])], out(`new_${v}`))
    const denominator = op('Add', [op('Sqrt', [op('Mul', [v2, 'inv_c2'])]), g.floatScalar(epsilon)])
    decayed(op('Sub', [p, op('Div', [op('Mul', [m2, 'step_size']), denominator])]))
  } else {
    const acc = slotName('momentum', p)
    const acc2 = op('Add', [op('Mul', [acc, g.floatScalar(MOMENTUM)]), gradient], out(`new_${acc}`))
    decayed(op('Sub', [p, op('Mul', [acc2, 'lr'])]))
  }
}
