// The real backbones with the studio's head, on real images: the exported ONNX file must give
// the same probabilities as tfjs (wasm) to 1e-4, with the same top-1.
import * as tf from '@tensorflow/tfjs'
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeModel } from '../../../../src/main/export/onnx'
import { BACKBONES, compare, folderHandler, HYMENOPTERA, loadImages, randomizeWeights, TOLERANCE, useWasm } from './helpers'

const L = tf.layers
const SIZE = 224

/** The studio's head: GAP and GMP of the feature map, concatenated, BN, Dropout, Dense(512,
 * relu), BN, Dropout, Dense(n, softmax). */
function head(features: tf.SymbolicTensor, classes: number): tf.SymbolicTensor {
  const gap = L.globalAveragePooling2d({ name: 'head_gap' }).apply(features) as tf.SymbolicTensor
  const gmp = L.globalMaxPooling2d({ name: 'head_gmp' }).apply(features) as tf.SymbolicTensor
  let y = L.concatenate({ name: 'head_concat' }).apply([gap, gmp]) as tf.SymbolicTensor
  y = L.batchNormalization({ name: 'head_bn1' }).apply(y) as tf.SymbolicTensor
  y = L.dropout({ rate: 0.25, name: 'head_drop1' }).apply(y) as tf.SymbolicTensor
  y = L.dense({ units: 512, activation: 'relu', name: 'head_fc' }).apply(y) as tf.SymbolicTensor
  y = L.batchNormalization({ name: 'head_bn2' }).apply(y) as tf.SymbolicTensor
  y = L.dropout({ rate: 0.5, name: 'head_drop2' }).apply(y) as tf.SymbolicTensor
  return L.dense({ units: classes, activation: 'softmax', name: 'head_out' }).apply(y) as tf.SymbolicTensor
}

/** Random head weights, with BN statistics of the right scale for these features. */
function randomizeHead(model: tf.LayersModel, seed: number): void {
  model.layers.filter((l) => l.name.startsWith('head_')).forEach((l, i) => randomizeWeights(l, seed + i))
}

function images(): string[] {
  const pick = (dir: string): string[] =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.jpg'))
      .sort()
      .slice(0, 2)
      .map((f) => path.join(dir, f))
  return [...pick(path.join(HYMENOPTERA, 'val', 'ants')), ...pick(path.join(HYMENOPTERA, 'val', 'bees'))]
}

const report: string[] = []
let batch: Float32Array
const files = images()
const shape = [files.length, SIZE, SIZE, 3]

beforeAll(async () => {
  await useWasm()
  batch = await loadImages(files, SIZE)
})

afterAll(() => console.log(report.join('\n')))

describe('tfjsToOnnx on real backbones (onnxruntime vs tfjs wasm, hymenoptera images)', () => {
  it('MobileNetV2 (nested as a layer) + head', async () => {
    const backbone = await tf.loadLayersModel(folderHandler(path.join(BACKBONES, 'mobilenet_v2_1.0_224')))
    const trunk = tf.model({ inputs: backbone.inputs, outputs: backbone.getLayer('Conv2d_18_1_relu6').output as tf.SymbolicTensor, name: 'mobilenet_v2' })
    const image = tf.input({ shape: [SIZE, SIZE, 3], name: 'image' })
    const scaled = L.rescaling({ scale: 1 / 127.5, offset: -1, name: 'preprocess' }).apply(image) as tf.SymbolicTensor
    const features = trunk.apply(scaled) as tf.SymbolicTensor
    const model = tf.model({ inputs: image, outputs: head(features, 2) })
    randomizeHead(model, 11)

    const r = await compare(model, batch, shape, { inputName: 'image', outputName: 'probabilities' })
    report.push(
      `MobileNetV2+head: max abs diff ${r.maxAbsDiff.toExponential(2)}, top-1 ${r.rowsAgreeing}/${r.rows}, ` +
        `convert ${r.convertMs.toFixed(0)} ms, ${(r.bytes.length / 1e6).toFixed(2)} MB`
    )
    expect(r.maxAbsDiff).toBeLessThanOrEqual(TOLERANCE)
    expect(r.top1Agree).toBe(true)
    // NHWC image in, one Transpose to NCHW, and no other: the whole trunk stays in NCHW.
    const graph = decodeModel(r.bytes).graph
    expect(graph.node.filter((n) => n.opType === 'Transpose')).toHaveLength(1)
    expect(graph.input[0]?.name).toBe('image')
    expect(graph.output[0]?.name).toBe('probabilities')

    // The features themselves (0..6 after ReLU6) are a stricter check than saturating probabilities.
    const pooled = tf.model({ inputs: image, outputs: model.getLayer('head_concat').output as tf.SymbolicTensor })
    // Float32 noise through 50 layers grows with the values' size, so this bound is relative.
    const f = await compare(pooled, batch, shape)
    const scale = f.output.reduce((m, v) => Math.max(m, Math.abs(v)), 0)
    report.push(`MobileNetV2 pooled features [${f.rows} x ${f.output.length / f.rows}, max ${scale.toFixed(2)}]: max abs diff ${f.maxAbsDiff.toExponential(2)}`)
    expect(f.maxAbsDiff).toBeLessThanOrEqual(TOLERANCE * Math.max(1, scale))

    // The ImageNet head the backbone ships with: [.., GAP, Reshape, 1x1 Conv, Flatten, Softmax].
    const imagenet = tf.model({ inputs: image, outputs: backbone.apply(scaled) as tf.SymbolicTensor })
    const n = await compare(imagenet, batch, shape)
    report.push(`MobileNetV2 ImageNet head (1000 classes): max abs diff ${n.maxAbsDiff.toExponential(2)}, top-1 ${n.rowsAgreeing}/${n.rows}`)
    expect(n.maxAbsDiff).toBeLessThanOrEqual(TOLERANCE)
    expect(n.top1Agree).toBe(true)
    backbone.dispose()
    model.dispose()
  })

  it('MobileNetV1 0.75 (real BatchNorm layers, re-applied layer by layer) + head', async () => {
    const backbone = await tf.loadLayersModel(folderHandler(path.join(BACKBONES, 'mobilenet_v1_0.75_224')))
    const image = tf.input({ shape: [SIZE, SIZE, 3], name: 'image' })
    let y = L.rescaling({ scale: 1 / 127.5, offset: -1, name: 'preprocess' }).apply(image) as tf.SymbolicTensor
    // A chain up to the feature layer: apply each layer again to the new input (a second call).
    const last = backbone.layers.findIndex((l) => l.name === 'conv_pw_13_relu')
    for (const layer of backbone.layers.slice(1, last + 1)) y = layer.apply(y) as tf.SymbolicTensor
    const model = tf.model({ inputs: image, outputs: head(y, 2) })
    randomizeHead(model, 23)

    const r = await compare(model, batch, shape)
    report.push(
      `MobileNetV1+head: max abs diff ${r.maxAbsDiff.toExponential(2)}, top-1 ${r.rowsAgreeing}/${r.rows}, ` +
        `convert ${r.convertMs.toFixed(0)} ms, ${(r.bytes.length / 1e6).toFixed(2)} MB`
    )
    expect(r.maxAbsDiff).toBeLessThanOrEqual(TOLERANCE)
    expect(r.top1Agree).toBe(true)
    backbone.dispose()
    model.dispose()
  })
})
