// ONNX files for the "bring your own backbone" tests, made by the studio's own converter from the
// built-in MobileNetV2 cut at its feature layer (the weights come from ../shared/backbones and are
// never committed), plus small synthetic graphs for the refusals.
import * as tf from '@tensorflow/tfjs'
import fs from 'node:fs'
import path from 'node:path'
import { loadBackbone, type LoadedBackbone } from '../../src/main/backbones'
import { tfjsToOnnx } from '../../src/main/export/onnx'
import { writeMobileNetV2Onnx } from './onnxBackboneFile'
import { BACKBONE_MIRROR, tempDir } from './tmp'

export const MOBILENET = 'mobilenet_v2_1.0_224'

export async function mobileNetV2(cacheDir = tempDir('thaw-cache-')): Promise<LoadedBackbone> {
  return loadBackbone(MOBILENET, { cacheDir, mirror: BACKBONE_MIRROR })
}

/** MobileNetV2 to its feature layer as an ONNX file (onnxBackboneFile.ts), in a temporary folder
 * by default. */
export function mobileNetV2Onnx(bb: LoadedBackbone, layout: 'NHWC' | 'NCHW', dir = tempDir('thaw-onnx-')): Promise<string> {
  return writeMobileNetV2Onnx(bb, layout, dir)
}

/** A small conv net as ONNX, for the shapes the importer must refuse or settle. */
export async function tinyOnnx(kind: 'dense' | 'any-size' | 'two-outputs' | 'batch-one', dir = tempDir('thaw-onnx-')): Promise<string> {
  let net: tf.LayersModel
  if (kind === 'batch-one') {
    const input = tf.input({ batchShape: [1, 32, 32, 3], name: 'x' })
    net = tf.model({ inputs: input, outputs: tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, name: 'conv' }).apply(input) as tf.SymbolicTensor })
  } else if (kind === 'dense') {
    const input = tf.input({ shape: [10], name: 'x' })
    net = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 4 }).apply(input) as tf.SymbolicTensor })
  } else {
    const input = tf.input({ shape: kind === 'any-size' ? [null, null, 3] : [32, 32, 3], name: 'x' })
    const map = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, activation: 'relu', name: 'conv' }).apply(input) as tf.SymbolicTensor
    const pooled = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(map) as tf.SymbolicTensor
    const logits = tf.layers.dense({ units: 5, name: 'logits' }).apply(pooled) as tf.SymbolicTensor
    net = kind === 'any-size' ? tf.model({ inputs: input, outputs: map }) : tf.model({ inputs: input, outputs: [map, logits] })
  }
  const bytes = await tfjsToOnnx(net)
  net.dispose()
  const file = path.join(dir, `${kind}.onnx`)
  fs.writeFileSync(file, bytes)
  return file
}
