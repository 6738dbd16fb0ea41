// A model trained on an imported ONNX backbone, as one frozen forward from pixels to
// probabilities: the spec's preprocessing, the user's ONNX file on ONNX Runtime (concat-pooled,
// the features the head was trained on), then the kept head and softmax on TF.js. Prediction,
// scoring the library and try-it call it exactly as they call a fused TF.js network.
import * as tf from '@tensorflow/tfjs'
import type { BackboneSpec } from '../backbones'
import { preprocessPixels } from '../backbones/preprocess'
import type { Output, RuntimeStatus } from '../engine/onnx/frozen'
import type { FrozenRunner } from '../engine/onnx/importedBackbone'
import { onnxBackbone, onnxFrozen } from '../engine/runtime'
import { ThawError } from '../errors'

export class ImportedClassifier implements FrozenRunner {
  constructor(
    private readonly features: FrozenRunner,
    /** features -> probabilities (fuse.ts's fuseHead) */
    private readonly head: tf.LayersModel,
    private readonly spec: BackboneSpec
  ) {}

  /** input: [n, h, w, 3] pixels 0..255 (what the fused network takes) */
  async run(input: Float32Array, shape: number[]): Promise<Output> {
    const f = await this.features.run(preprocessPixels(input, this.spec.preprocessing), shape)
    return tf.tidy(() => {
      const probs = this.head.predict(tf.tensor2d(f.data, f.shape as [number, number])) as tf.Tensor
      return { data: probs.dataSync() as Float32Array, shape: probs.shape }
    })
  }

  status(): RuntimeStatus | null {
    return this.features.status()
  }

  /** the ONNX Runtime session is the worker's (shared with precompute), released with it */
  async release(): Promise<void> {}
}

/** The classifier of a stored model on an imported ONNX backbone, refused when the backbone's
 * file is no longer the one the model was trained on. */
export async function importedClassifier(spec: BackboneSpec, trainedOn: string, head: tf.LayersModel, modelId: number): Promise<ImportedClassifier> {
  const ob = await onnxBackbone(spec.id)
  if (ob.source.sha256 !== trainedOn) {
    throw new ThawError(
      'BACKBONE_CHANGED',
      `model ${modelId} was trained on the imported ONNX backbone ${spec.id} with sha256 ${trainedOn.slice(0, 12)}; the file imported under that id now is ${ob.source.sha256.slice(0, 12)}: import the original file again (thaw import-backbone ${spec.source.kind === 'onnx' ? spec.source.importedFrom : '<file>'} --id ${spec.id})`
    )
  }
  return new ImportedClassifier(onnxFrozen(ob, ob.spec.featureLayer, 'concat-pool'), head, ob.spec)
}
