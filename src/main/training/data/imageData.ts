import * as tf from '@tensorflow/tfjs'
import type { BackboneSpec } from '../../backbones'
import { toInputArray } from '../../backbones/preprocess'
import { decodeView } from '../../precompute/views'
import { mulberry32, shuffled } from '../../util/random'
import { DecodedViews } from './decodedViews'
import { batchBounds, type Batch, type FitData } from './fitData'
import type { LabelledImage } from './labelledSet'

/** Batches computed from the images themselves: decode (once per view while memory allows:
 * decodedViews.ts), then the frozen part of the network on every image of every epoch. The
 * baseline the activation cache must beat, the fallback when a boundary cache would not fit its
 * disk budget, and the whole-network stage's data. */
export class ImageData implements FitData {
  readonly validLabels: Int32Array

  constructor(
    private readonly spec: Pick<BackboneSpec, 'inputSize' | 'preprocessing'>,
    /** image batch [n, h, w, 3] (preprocessed values) -> the trainable part's input */
    private readonly frozen: (input: Float32Array, shape: number[]) => Promise<tf.Tensor>,
    private readonly train: LabelledImage[],
    private readonly valid: LabelledImage[],
    /** augmented views per training image: each epoch picks one of 0..views, as the cache does */
    private readonly views: number,
    /** decoded pixels kept across the stage's epochs (training and validation images) */
    readonly decoded = new DecodedViews()
  ) {
    this.validLabels = Int32Array.from(valid.map((v) => v.label))
  }

  get trainSize(): number {
    return this.train.length
  }

  private async *batches(items: { image: LabelledImage; view: number }[], bounds: [number, number][]): AsyncGenerator<Batch> {
    const decode = (range: [number, number]) =>
      Promise.all(items.slice(range[0], range[1]).map((it) => this.decoded.get(it.image.hash, it.view, () => decodeView(it.image.path, this.spec, it.image.hash, it.view))))
    let next = bounds.length ? decode(bounds[0]!) : null
    for (let b = 0; b < bounds.length; b++) {
      const images = await next!
      next = b + 1 < bounds.length ? decode(bounds[b + 1]!) : null
      const input = toInputArray(images, this.spec)
      const x = await this.frozen(input.data, input.shape)
      const labels = items.slice(bounds[b]![0], bounds[b]![1]).map((it) => it.image.label)
      yield { x, labels: tf.tensor1d(labels, 'int32') }
    }
  }

  async *trainBatches(_epoch: number, batchSize: number, seed: number): AsyncGenerator<Batch> {
    const rand = mulberry32(seed)
    const order = shuffled(this.train, rand).map((image) => ({ image, view: Math.floor(rand() * (this.views + 1)) }))
    yield* this.batches(order, batchBounds(order.length, batchSize))
  }

  async *validBatches(batchSize: number): AsyncGenerator<Batch> {
    const items = this.valid.map((image) => ({ image, view: 0 }))
    const bounds: [number, number][] = []
    for (let i = 0; i < items.length; i += batchSize) bounds.push([i, Math.min(i + batchSize, items.length)])
    yield* this.batches(items, bounds)
  }
}
