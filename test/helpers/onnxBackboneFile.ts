// The tests' ONNX backbone file, without vitest (so a plain Node script can make it too, see
// writeOnnxBackbone.ts): MobileNetV2 cut at its feature layer, by the studio's own converter.
import * as tf from '@tensorflow/tfjs'
import fs from 'node:fs'
import path from 'node:path'
import { applySegment, type LoadedBackbone } from '../../src/main/backbones'
import { tfjsToOnnx } from '../../src/main/export/onnx'

/** MobileNetV2 from its input to Conv2d_18_1_relu6 (7x7x1280) as an ONNX file in `dir`: NHWC as
 * the studio's converter writes it, or NCHW in and out (the PyTorch convention), by permutes
 * around the same layers. Preprocessing stays outside (x / 127.5 - 1), as in a torchvision export. */
export async function writeMobileNetV2Onnx(bb: LoadedBackbone, layout: 'NHWC' | 'NCHW', dir: string): Promise<string> {
  const nchw = layout === 'NCHW'
  const input = tf.input({ shape: nchw ? [3, 224, 224] : [224, 224, 3], name: 'image' })
  const x = nchw ? (tf.layers.permute({ dims: [2, 3, 1], name: 'to_nhwc' }).apply(input) as tf.SymbolicTensor) : input
  const map = applySegment(bb.model, null, bb.spec.featureLayer, x)
  const out = nchw ? (tf.layers.permute({ dims: [3, 1, 2], name: 'to_nchw' }).apply(map) as tf.SymbolicTensor) : map
  const net = tf.model({ inputs: input, outputs: out, name: `mobilenet_v2_features_${layout}` })
  const bytes = await tfjsToOnnx(net, { inputName: 'pixel_values', outputName: 'features' })
  net.dispose() // drops references only: the layers belong to bb.model
  const file = path.join(dir, `mobilenet_v2_features_${layout.toLowerCase()}.onnx`)
  fs.writeFileSync(file, bytes)
  return file
}
