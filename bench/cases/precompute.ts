/**
 * Precompute throughput on the hymenoptera set (398 images), decode included, side by side:
 *  - plain loop: decode a batch with sharp, then run the backbone on it, one after the other, on
 *    one thread (what a script without a pipeline does);
 *  - the studio: `precompute` (decode overlapped with the forward pass, one engine worker per core).
 * Both on the wasm backend, both from a fresh cache.
 *
 *   node --import tsx bench/cases/precompute.ts
 */
import * as tf from '@tensorflow/tfjs'
import { loadBackbone, buildSegment, toInputBatch } from '../../src/main/backbones'
import { initBackend } from '../../src/main/engine/backend'
import { decodeView } from '../../src/main/precompute/views'
import { decodeHalf, encodeHalf } from '../../src/main/precompute/float16'
import { ActivationData } from '../../src/main/training/data/activationData'
import { fitStage } from '../../src/main/training/fit'
import { buildHead, concatPool, headTrainable } from '../../src/main/training/head'
import { stageSchema } from '../../src/shared/plan'
import { benchProject } from './fixtures'

async function plainLoop(files: string[], batchSize: number): Promise<{ msPerImage: number; tensorsLeaked: number; features: Float32Array[] }> {
  await initBackend('wasm')
  const bb = await loadBackbone('mobilenet_v2_1.0_224')
  const trunk = buildSegment(bb.model, null, bb.spec.featureLayer)
  const before = tf.memory().numTensors
  const started = performance.now()
  const features: Float32Array[] = []
  for (let i = 0; i < files.length; i += batchSize) {
    const images = await Promise.all(files.slice(i, i + batchSize).map((f) => decodeView(f, bb.spec, '', 0)))
    const input = toInputBatch(images, bb.spec)
    const out = tf.tidy(() => concatPool(trunk.predict(input) as tf.Tensor4D))
    const data = out.dataSync() as Float32Array
    const size = data.length / images.length
    for (let j = 0; j < images.length; j++) features.push(data.slice(j * size, (j + 1) * size))
    tf.dispose([input, out])
  }
  const msPerImage = (performance.now() - started) / files.length
  const tensorsLeaked = tf.memory().numTensors - before
  trunk.dispose()
  bb.model.dispose()
  return { msPerImage, tensorsLeaked, features }
}

/** The accuracy cost of storing activations as float16: the same head, same seed, trained on the
 * float32 features and on the same features rounded to float16. */
async function float16Cost(files: string[], features: Float32Array[]): Promise<Record<string, unknown>> {
  const label = (f: string) => (f.includes('/ants/') ? 0 : 1)
  const isTrain = (f: string) => f.includes('/train/')
  const dim = features[0]!.length
  const result: Record<string, unknown> = {}
  for (const [name, rows] of [
    ['float32', features],
    ['float16', features.map((f) => decodeHalf(encodeHalf(f)))]
  ] as const) {
    const all = new Float32Array(rows.length * dim)
    rows.forEach((r, i) => all.set(r, i * dim))
    const train = files.map((f, i) => ({ f, i })).filter((x) => isTrain(x.f)).map((x) => ({ label: label(x.f), rows: [x.i] }))
    const valid = files.map((f, i) => ({ f, i })).filter((x) => !isTrain(x.f)).map((x) => ({ label: label(x.f), row: x.i }))
    const accs: number[] = []
    const losses: number[] = []
    for (const seed of [1, 2, 3]) {
      const head = buildHead(dim, 2, { seed })
      const history = await fitStage({
        stageIndex: 0,
        stage: stageSchema.parse({ epochs: 10, lr: 3e-3 }),
        model: headTrainable(head),
        data: new ActivationData([dim], all, train, valid),
        classes: ['ants', 'bees'],
        classWeights: null,
        seed
      })
      accs.push(history.at(-1)!.validAccuracy)
      losses.push(history.at(-1)!.validLoss)
      head.dispose()
    }
    result[name] = { validAccuracy: accs.map((a) => Math.round(a * 1000) / 10), validLoss: losses.map((l) => Math.round(l * 1e4) / 1e4) }
  }
  return result
}

export async function run(): Promise<Record<string, unknown>> {
  const { studio, api, files } = await benchProject('precompute')
  try {
    const plain = await plainLoop(files, 16)
    const f16 = await float16Cost(files, plain.features)
    const started = performance.now()
    const r = await api.precompute({ views: 0 })
    const wall = performance.now() - started
    const stats = await studio.engine().stats()
    const again = await api.precompute({ views: 0 })
    return {
      images: files.length,
      backend: r.backend,
      backbone: r.backbone,
      plainLoopMsPerImage: round(plain.msPerImage),
      studioMsPerImage: round(r.msPerImage),
      studioWallMsPerImage: round(wall / r.computed),
      speedup: round(plain.msPerImage / r.msPerImage),
      engineWorkers: studio.engine().size,
      cacheBytes: r.cache.bytes,
      secondRun: { computed: again.computed, reused: again.reused, ms: again.ms },
      tensorsLeakedPlainLoop: plain.tensorsLeaked,
      workerTensorsAfter: stats.map((s) => s.numTensors),
      float16AccuracyCost: f16
    }
  } finally {
    await studio.close()
  }
}

const round = (x: number): number => Math.round(x * 10) / 10

if (process.argv[1]?.endsWith('precompute.ts')) {
  void run().then((r) => console.log(JSON.stringify(r, null, 2)))
}
