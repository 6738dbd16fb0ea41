import { BatchMatMul } from '@tensorflow/tfjs'
import type { BatchMatMulAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs'
import { sizeOf, withWasmOps, WASM, type WasmOps } from './wasm_ops'

/**
 * wasm's BatchMatMul hands its right operand to XNNPACK as the "weights" of a fully connected
 * operator, which packs (copies and reorders) it first, and takes a slow scalar path when an
 * operand is transposed. In the forward pass that operand is a layer's weights, packed once and
 * cached while they stay the same tensor. Gradients are different: every product is new, and
 * dx = dy x W^T would repack all of W on each step. For products with a transpose flag (the ones
 * gradients make) this computes either A'B' or (B'^T A'^T)^T, whichever copies fewer elements:
 * the transposes it needs plus the packing of the right operand.
 */
let original: KernelFunc | null = null
let originalSetup: KernelConfig['setupFunc'] | undefined

/** Called with wasm's own kernel before ours replaces it. Its setup (binding the C function)
 * runs when the backend starts: ours forwards to it, or wasm's kernel would find nothing bound. */
export function rememberOriginalBatchMatMul(config: Pick<KernelConfig, 'kernelFunc' | 'setupFunc'>): void {
  if (config.kernelFunc === batchMatMul) return
  original = config.kernelFunc
  originalSetup = config.setupFunc
}

const swapLastTwo = (rank: number): number[] => [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2]

/** Elements copied: by transposes, and by XNNPACK packing the right operand. */
export function orientationCosts(a: number[], b: number[], transposeA: boolean, transposeB: boolean): { direct: number; swapped: number } {
  const last2 = (s: number[]) => [s[s.length - 2]!, s[s.length - 1]!] as const
  const [ar, ac] = last2(a)
  const [br, bc] = last2(b)
  const [m, k] = transposeA ? [ac, ar] : [ar, ac]
  const n = transposeB ? br : bc
  const batch = Math.max(1, sizeOf({ shape: a } as TensorInfo) / (ar * ac))
  return {
    direct: batch * ((transposeA ? m * k : 0) + (transposeB ? k * n : 0) + k * n),
    swapped: batch * ((transposeB ? 0 : k * n) + (transposeA ? 0 : m * k) + k * m + m * n)
  }
}

function product(ops: WasmOps, run: KernelFunc, backend: unknown, left: TensorInfo, right: TensorInfo): TensorInfo {
  return ops.adopt(run({ inputs: { a: left, b: right }, backend: backend as never, attrs: { transposeA: false, transposeB: false } }) as TensorInfo)
}

const batchMatMul: KernelFunc = ({ inputs, backend, attrs }) => {
  if (!original) throw new Error("Thaw's BatchMatMul was registered without wasm's own kernel to call")
  const run = original
  const { transposeA, transposeB } = attrs as unknown as BatchMatMulAttrs
  if (!transposeA && !transposeB) return run({ inputs, backend, attrs })
  const { a, b } = inputs as { a: TensorInfo; b: TensorInfo }
  return withWasmOps(backend, (ops) => {
    const t = (x: TensorInfo) => ops.transpose(x, swapLastTwo(x.shape.length))
    const cost = orientationCosts(a.shape, b.shape, transposeA, transposeB)
    if (cost.direct <= cost.swapped) return product(ops, run, backend, transposeA ? t(a) : a, transposeB ? t(b) : b)
    // C = (B'^T A'^T)^T, where B'^T is B itself when B came transposed, and likewise A
    return t(product(ops, run, backend, transposeB ? b : t(b), transposeA ? a : t(a)))
  })
}

export const batchMatMulConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName: WASM,
  kernelFunc: batchMatMul,
  setupFunc: (backend) => originalSetup?.(backend)
}
