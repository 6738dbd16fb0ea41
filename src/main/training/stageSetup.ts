import * as tf from '@tensorflow/tfjs'
import type { LoadedBackbone } from '../backbones'
import { findSet, type ActivationSetKey } from '../precompute/activationStore'
import type { Db } from '../store/db'
import type { Stage } from '../../shared/plan'
import { cachedData } from './cachedData'
import type { FitData } from './data'
import type { LabelledSet } from './dataset'
import { concatPool, headTrainable } from './head'
import { ImageData } from './imageData'
import { firstThawedGroup } from './schedules'
import type { Trainable } from './step'

export interface StageInputs {
  model: Trainable
  data: FitData
  /** the layer whose cached output feeds the stage, or 'none' */
  cache: string
}

export interface SetupContext {
  db: Db
  bb: LoadedBackbone
  trunk: tf.LayersModel
  head: tf.LayersModel
  data: LabelledSet
  views: number
  precompute: boolean
  /** the activation set of pooled features at the feature layer */
  featureKey: ActivationSetKey
}

/** Decides what a stage trains and where its inputs come from. Head only: pooled features from
 * the activations table, or (no precompute) from the frozen backbone run on every image. */
export function setupStage(stage: Stage, ctx: SetupContext): StageInputs {
  const groups = ctx.bb.spec.groups.length + 1 // the backbone's groups and the head
  const first = firstThawedGroup(stage.freezeTo, groups)
  if (first < groups - 1) {
    throw new Error(`stage "${stage.name}" thaws backbone groups (freezeTo ${stage.freezeTo}); this engine trains the head only so far`)
  }
  const model = headTrainable(ctx.head)
  if (ctx.precompute) {
    const set = findSet(ctx.db, ctx.featureKey)
    if (!set) throw new Error('no cached activations for this backbone: run precompute first')
    return { model, data: cachedData(ctx.db, set, ctx.data, ctx.views), cache: ctx.featureKey.layer }
  }
  const frozen = (input: tf.Tensor4D): tf.Tensor => concatPool(ctx.trunk.apply(input, { training: false }) as tf.Tensor4D)
  return { model, data: new ImageData(ctx.bb.spec, frozen, ctx.data.train, ctx.data.valid, ctx.views), cache: 'none' }
}
