/**
 * How fast this machine is in this sitting: ONNX Runtime's matrix product, GFLOP/s on 1 and on 2
 * intra-op threads, for the shape of MobileNetV2's 1x1 convolutions in a thawing step (960 x 160
 * by 160 x 1568). On 2026-12-02 the same VM had ONNX Runtime's matrix products at 70-96 / 140-150
 * GFLOP/s in the morning and this probe at 41 / 56 in the evening, with every bench (PyTorch's too)
 * about 2x slower: beside a figure, this says which kind of sitting it is.
 */
import * as ort from 'onnxruntime-node'
import { GraphBuilder } from '../../src/main/export/onnx/graph'
import { encodeGraph, valueInfo } from '../../src/main/training/engines/onnx/onnxModel'

const [M, K, N] = [960, 160, 1568]

export async function gemmGflops(): Promise<{ threads1: number; threads2: number; shape: string }> {
  const g = new GraphBuilder()
  const a = g.reserve('a')
  const b = g.reserve('b')
  const model = encodeGraph(g, 'gemm_probe', [valueInfo(a, [M, K]), valueInfo(b, [K, N])], [valueInfo(g.node('Gemm', [a, b]), [M, N])])
  const feeds = { [a]: new ort.Tensor('float32', new Float32Array(M * K).fill(0.1), [M, K]), [b]: new ort.Tensor('float32', new Float32Array(K * N).fill(0.2), [K, N]) }
  const rate = async (threads: number): Promise<number> => {
    const session = await ort.InferenceSession.create(model, { intraOpNumThreads: threads, interOpNumThreads: 1 })
    try {
      for (let i = 0; i < 5; i++) await session.run(feeds)
      const ms: number[] = []
      for (let r = 0; r < 7; r++) {
        const t = performance.now()
        for (let i = 0; i < 20; i++) await session.run(feeds)
        ms.push((performance.now() - t) / 20)
      }
      ms.sort((x, y) => x - y)
      return Math.round((2 * M * K * N) / ms[3]! / 1e6)
    } finally {
      await session.release()
    }
  }
  return { threads1: await rate(1), threads2: await rate(2), shape: `${M}x${K} by ${K}x${N}, median of 7` }
}
