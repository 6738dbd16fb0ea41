/**
 * The thawed segment's forward + backward alone on ONNX Runtime (engines/onnx/segmentGraph.ts,
 * the graph segmentGradientModel makes: x and dy in, the output and every parameter's gradient
 * out), without pooling, head, loss or optimizer: what the thawing step spends in the backbone.
 *  - MobileNetV2's last four blocks from their 14x14x96 cut (freezeTo -3; PyTorch trains the same
 *    plus a head in 3.9-4.3 ms per image on 2 threads), batch 16 and 32, on 2 threads and on 1;
 *  - its last group from the 7x7x160 cut; the whole backbone from the 224x224 input (fine-tune);
 *  - MobileNetV1's last group with batch norm in training mode;
 *  - 2 threads with ONNX Runtime's spin-waiting off (session.intra_op.allow_spinning 0), which
 *    matters on a shared machine;
 *  - per op type of the four blocks, from ONNX Runtime's profiler (1 thread: ms per batch), as the
 *    thawing step builds the graph (for the batch size, NCHWc depthwise kernels where the machine
 *    has them) and in the standard-operator, any-batch form beside it;
 * ms per image: the median of the timed runs' wall time over the batch; cpu: the process's CPU
 * time (less sensitive to other load than wall time on a shared machine).
 *
 *   node --import tsx bench/cases/segmentGraph.ts
 */
import os from 'node:os'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import * as ort from 'onnxruntime-node'
import { buildSegment, loadBackbone } from '../../src/main/backbones'
import { nchwcBlockSize } from '../../src/main/training/engines/onnx/convGradients'
import { segmentGradientModel } from '../../src/main/training/engines/onnx/segmentGraph'
import { mulberry32 } from '../../src/main/util/random'
import { BACKBONES } from './fixtures'
import { opTimes } from './ortProfile'

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

export interface SegmentTiming {
  batch: number
  threads: number
  /** intra-op threads spin while waiting for work (ONNX Runtime's default) */
  spinning: boolean
  msPerImage: number
  cpuMsPerImage: number
  /** ms per image by ONNX Runtime op type, when profiled (ortProfile.ts) */
  opMsPerImage?: Record<string, number>
}

/** Times one segment's forward + backward at a batch size (synthetic inputs: the time does not
 * depend on their values). */
export async function segmentStep(segment: tf.LayersModel, opts: { batch: number; threads: number; training?: boolean; runs?: number; profile?: boolean; spinning?: boolean; fixedBatch?: boolean; nchwc?: boolean }): Promise<SegmentTiming | string> {
  // as the thawing step builds it unless told: for the batch size, on the NCHWc kernels if any
  const nchwcBlock = opts.nchwc === false ? null : await nchwcBlockSize(ort)
  const built = segmentGradientModel(segment, { training: opts.training ?? true, ...(opts.fixedBatch === false ? {} : { batch: opts.batch }), nchwcBlock })
  if (typeof built === 'string') return built
  const { model, graph, inputShape } = built
  const n = opts.batch
  const [, c, h, w] = inputShape
  const [, oc, oh, ow] = graph.outputShape
  const prefix = path.join(os.tmpdir(), `thaw-segment-profile-${process.pid}`)
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: opts.threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', enableProfiling: opts.profile ?? false, profileFilePrefix: prefix, ...(opts.spinning === false ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}) })
  const rand = mulberry32(1)
  const random = (size: number): Float32Array => Float32Array.from({ length: size }, () => rand() * 2 - 0.5)
  const feeds: Record<string, ort.Tensor> = {
    x: new ort.Tensor('float32', random(n * c * h * w), [n, c, h, w]),
    dy: new ort.Tensor('float32', random(n * oc * oh * ow), [n, oc, oh, ow])
  }
  for (const p of graph.params) feeds[p.name] = new ort.Tensor('float32', p.toOnnx(p.variable.dataSync() as Float32Array), p.shape)
  try {
    const warm = opts.profile ? 2 : 1 // allocations, first-run kernel choices (and, profiled, page faults)
    for (let i = 0; i < warm; i++) await session.run(feeds)
    const wall: number[] = []
    const cpu: number[] = []
    const runs = opts.runs ?? 5
    for (let i = 0; i < runs; i++) {
      const t = performance.now()
      const c0 = process.cpuUsage()
      await session.run(feeds)
      const used = process.cpuUsage(c0)
      cpu.push((used.user + used.system) / 1000)
      wall.push(performance.now() - t)
    }
    const timing: SegmentTiming = { batch: n, threads: opts.threads, spinning: opts.spinning ?? true, msPerImage: round(median(wall) / n), cpuMsPerImage: round(median(cpu) / n) }
    if (opts.profile) {
      session.endProfiling()
      timing.opMsPerImage = opTimes(prefix, { warm, runs, images: n })
    }
    return timing
  } finally {
    await session.release()
  }
}

export async function run(): Promise<Record<string, unknown>> {
  // weights only are read from TF.js here, on whatever backend the caller runs (train.ts: wasm)
  process.env.THAW_MODEL_MIRROR ??= BACKBONES
  const cacheDir = path.join(os.tmpdir(), 'thaw-bench-segment-cache')
  const v2 = await loadBackbone('mobilenet_v2_1.0_224', { cacheDir })
  const v1 = await loadBackbone('mobilenet_v1_0.75_224', { cacheDir })
  const out: Record<string, unknown> = { loadAverage: os.loadavg().map((l) => round(l, 1)) }
  const time = async (name: string, model: tf.LayersModel, from: string | null, to: string, runs: { batch: number; threads: number; profile?: boolean; spinning?: boolean; fixedBatch?: boolean; nchwc?: boolean }[]): Promise<void> => {
    const segment = buildSegment(model, from, to)
    try {
      const results: (SegmentTiming | string)[] = []
      for (const r of runs) results.push(await segmentStep(segment, r))
      out[name] = results
    } finally {
      segment.dispose()
    }
  }
  await time('v2LastFourBlocks', v2.model, 'expanded_conv_13_add_add', v2.spec.featureLayer, [
    { batch: 16, threads: 2 },
    { batch: 16, threads: 2, spinning: false },
    { batch: 32, threads: 2 },
    { batch: 16, threads: 1, profile: true },
    // before issue 11's depthwise work: any batch size, standard operators only
    { batch: 16, threads: 1, profile: true, fixedBatch: false, nchwc: false }
  ])
  await time('v2LastGroup', v2.model, 'expanded_conv_16_add_add', v2.spec.featureLayer, [{ batch: 16, threads: 2 }])
  await time('v2WholeBackbone', v2.model, null, v2.spec.featureLayer, [{ batch: 16, threads: 2 }])
  await time('v1LastGroupBatchNorm', v1.model, 'conv_pw_11_relu', v1.spec.featureLayer, [{ batch: 16, threads: 2 }])
  out['loadAverageAfter'] = os.loadavg().map((l) => round(l, 1))
  v2.model.dispose()
  v1.model.dispose()
  return out
}

if (process.argv[1]?.endsWith('segmentGraph.ts')) {
  void run().then((r) => console.log(JSON.stringify(r, null, 2)))
}
