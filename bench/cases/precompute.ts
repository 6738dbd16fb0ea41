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
import { concatPool } from '../../src/main/training/head'
import { benchProject } from './fixtures'

async function plainLoop(files: string[], batchSize: number): Promise<{ msPerImage: number; tensorsLeaked: number }> {
  await initBackend('wasm')
  const bb = await loadBackbone('mobilenet_v2_1.0_224')
  const trunk = buildSegment(bb.model, null, bb.spec.featureLayer)
  const before = tf.memory().numTensors
  const started = performance.now()
  for (let i = 0; i < files.length; i += batchSize) {
    const images = await Promise.all(files.slice(i, i + batchSize).map((f) => decodeView(f, bb.spec, '', 0)))
    const input = toInputBatch(images, bb.spec)
    const out = tf.tidy(() => concatPool(trunk.predict(input) as tf.Tensor4D))
    out.dataSync()
    tf.dispose([input, out])
  }
  const msPerImage = (performance.now() - started) / files.length
  const tensorsLeaked = tf.memory().numTensors - before
  trunk.dispose()
  bb.model.dispose()
  return { msPerImage, tensorsLeaked }
}

export async function run(): Promise<Record<string, unknown>> {
  const { studio, api, files } = await benchProject('precompute')
  try {
    const plain = await plainLoop(files, 16)
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
      workerTensorsAfter: stats.map((s) => s.numTensors)
    }
  } finally {
    await studio.close()
  }
}

const round = (x: number): number => Math.round(x * 10) / 10

if (process.argv[1]?.endsWith('precompute.ts')) {
  void run().then((r) => console.log(JSON.stringify(r, null, 2)))
}
