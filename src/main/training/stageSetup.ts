import * as tf from '@tensorflow/tfjs'
import { findSet, type ActivationSetKey } from '../precompute/activationStore'
import type { Db } from '../store/db'
import type { Stage } from '../../shared/plan'
import { loadActivationData } from './data/activationData'
import type { FitData } from './data/fitData'
import type { LabelledSet } from './data/labelledSet'
import { boundaryLayer, groupMembers, isBatchNorm } from './groups'
import { headTrainable } from './head'
import type { FrozenRunner } from '../engine/onnx/importedBackbone'
import type { StageBackbone } from './network'
import { ImageData } from './data/imageData'
import { firstThawedGroup } from '../../shared/schedules'
import type { Trainable } from './step'
import { thawedTrainable } from './trainable'

export interface StageInputs {
  model: Trainable
  data: FitData
  /** the layer whose cached output feeds the stage, or 'none' */
  cache: string
  /** why the stage runs without a cache, when it does */
  note: string | null
}

export interface SetupContext {
  db: Db
  /** an imported ONNX backbone has no TF.js model: only head-only stages reach here */
  bb: StageBackbone
  /** builds (once) the part of the backbone between two layers */
  segment: (from: string | null, to: string) => tf.LayersModel
  /** the frozen part from the input to a layer, on ONNX Runtime or TF.js (engine/onnx) */
  frozen: (to: string, reduce: 'concat-pool' | 'none') => FrozenRunner
  head: tf.LayersModel
  data: LabelledSet
  views: number
  /** the cached activations this stage may read: pooled features for head-only stages, the
   * boundary's feature maps for thawing stages; null = compute from the images every epoch */
  cacheKey: ActivationSetKey | null
  /** why there is no cache, to report */
  noCacheReason?: string
}

/** Decides what a stage trains and where its inputs come from. Everything below the freeze
 * boundary is a fixed function of the image, so its output comes from the activations table
 * when there is one; only the thawed groups and the head run every step. */
export function setupStage(stage: Stage, ctx: SetupContext): StageInputs {
  const { spec, model: backbone } = ctx.bb
  const groups = spec.groups.length + 1 // the backbone's groups and the head
  const first = firstThawedGroup(stage.freezeTo, groups)
  const boundary = first === groups - 1 ? spec.featureLayer : boundaryLayer(spec, first)
  const headOnly = first === groups - 1

  // batch-norm parameters of frozen groups train under trainBn, so nothing below the boundary
  // is fixed any more: the whole backbone runs every step, frozen convolutions included
  const members = backbone ? groupMembers(backbone, spec) : []
  const frozenBn = stage.trainBn ? members.slice(0, first).flat().map((n) => backbone!.getLayer(n)).filter(isBatchNorm) : []
  const start = frozenBn.length ? null : boundary
  const thawedGroups = members.slice(first).map((names, i) => ({ name: spec.groups[first + i]!.name, layers: names.map((n) => backbone!.getLayer(n)) }))

  const model: Trainable = headOnly && !frozenBn.length
    ? headTrainable(ctx.head)
    : thawedTrainable(ctx.segment(start, spec.featureLayer), ctx.head, thawedGroups, frozenBn)

  const set = ctx.cacheKey && !frozenBn.length ? findSet(ctx.db, ctx.cacheKey) : null
  if (set && set.layer === boundary) {
    return { model, data: loadActivationData(ctx.db, set, ctx.data, ctx.views), cache: boundary, note: null }
  }
  const note = frozenBn.length
    ? `trainBn: ${frozenBn.length} batch-norm layers below the boundary train, so the backbone runs on every image`
    : (ctx.noCacheReason ?? (ctx.cacheKey ? `no cached activations at ${boundary}` : 'precompute is off'))
  // the inputs of the trainable part, computed from images by the frozen part below the
  // boundary (inference mode), on ONNX Runtime where it converts and passes its check
  const below = start === null ? null : ctx.frozen(start, headOnly && !frozenBn.length ? 'concat-pool' : 'none')
  const frozen = async (input: Float32Array, shape: number[]): Promise<tf.Tensor> => {
    if (!below) return tf.tensor(input, shape, 'float32')
    const out = await below.run(input, shape)
    return tf.tensor(out.data, out.shape, 'float32')
  }
  return { model, data: new ImageData(spec, frozen, ctx.data.train, ctx.data.valid, ctx.views), cache: 'none', note }
}
