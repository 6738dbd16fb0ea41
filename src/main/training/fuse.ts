import { ThawError } from '../errors'
import * as tf from '@tensorflow/tfjs'
import { applySegment, type BackboneSpec } from '../backbones'

export const PROBS_LAYER = 'probabilities'

/** One network from image to probabilities: Rescaling (the backbone's preprocessing), the backbone
 * up to its feature layer, concat pooling, the head, softmax. It takes RGB 0..255 at the input
 * size, needs no Thaw code to run, and is what prediction and export use. Shares the weights of
 * `backbone` and `head` (its layers are applied inline, not nested, so exporters see plain layers). */
export function fuseModel(
  backbone: tf.LayersModel,
  spec: Pick<BackboneSpec, 'inputSize' | 'preprocessing' | 'featureLayer'>,
  head: tf.LayersModel
): tf.LayersModel {
  if (spec.preprocessing.mean || spec.preprocessing.std) {
    throw new ThawError('UNSUPPORTED', 'fusing a backbone with per-channel mean and std into one network is not supported (no portable per-channel scaling layer)')
  }
  if (spec.preprocessing.channels !== 'RGB') {
    throw new ThawError('UNSUPPORTED', 'fusing a backbone that expects BGR input is not supported yet (no portable channel-swap layer)')
  }
  const [h, w] = spec.inputSize
  const input = tf.input({ shape: [h, w, 3], name: 'image' })
  const scaled = tf.layers
    .rescaling({ scale: spec.preprocessing.scale, offset: spec.preprocessing.offset, name: 'preprocess' })
    .apply(input) as tf.SymbolicTensor
  const map = applySegment(backbone, null, spec.featureLayer, scaled)
  const x = applyLayers(head, concatPoolLayers(map))
  const probs = tf.layers.softmax({ name: PROBS_LAYER }).apply(x) as tf.SymbolicTensor
  return tf.model({ inputs: input, outputs: probs, name: 'thaw_classifier' })
}

/** The studio's concat pooling as layers over an NHWC map: [average over space, max over space]
 * (what precompute caches and the head reads), named as every exported network names them. */
export function concatPoolLayers(map: tf.SymbolicTensor): tf.SymbolicTensor {
  const avg = tf.layers.globalAveragePooling2d({ name: 'pool_avg' }).apply(map) as tf.SymbolicTensor
  const max = tf.layers.globalMaxPooling2d({ name: 'pool_max' }).apply(map) as tf.SymbolicTensor
  return tf.layers.concatenate({ name: 'pool_concat' }).apply([avg, max]) as tf.SymbolicTensor
}

/** `model`'s layers applied after `x` (its input layer left out), sharing their weights. */
export function applyLayers(model: tf.LayersModel, x: tf.SymbolicTensor): tf.SymbolicTensor {
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue
    x = layer.apply(x) as tf.SymbolicTensor
  }
  return x
}

/** The kept network of a model on an imported ONNX backbone: the head and the softmax, from the
 * concat-pooled features (the backbone stays the user's ONNX file, run before it). */
export function fuseHead(head: tf.LayersModel): tf.LayersModel {
  const input = tf.input({ shape: head.inputs[0]!.shape.slice(1) as number[], name: 'features' })
  const probs = tf.layers.softmax({ name: PROBS_LAYER }).apply(applyLayers(head, input)) as tf.SymbolicTensor
  return tf.model({ inputs: input, outputs: probs, name: 'thaw_head_classifier' })
}
