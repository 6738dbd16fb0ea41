import * as tf from '@tensorflow/tfjs'
import { ThawError } from '../errors'
import type { Stage } from '../../shared/plan'
import { buildSegment, frozenOnlyReason, loadBackbone, resolveBackboneSpec, type LoadedBackbone, type LoadedOnnxBackbone } from '../backbones'
import type { FrozenRunner } from '../engine/onnx/importedBackbone'
import { backbone, frozenParts, onnxBackbone, segment as sharedSegment } from '../engine/runtime'
import { firstThawedGroup } from '../../shared/schedules'
import type { CheckpointWeights } from './checkpoint'
import { releaseSegmentEngines } from './engines'
import { buildHead } from './head'

/** An imported ONNX backbone as a training run holds it: its file and spec, no TF.js model
 * (nothing in it trains; its features come from ONNX Runtime or the cache). */
export type FrozenOnlyBackbone = LoadedOnnxBackbone & { model: null }
export type StageBackbone = LoadedBackbone | FrozenOnlyBackbone

/** Stages that thaw backbone groups change its weights in place: they get their own copy, so the
 * worker's shared backbone (used by precompute and prediction) keeps the published weights that
 * its cache keys name. The caller disposes an own copy. An imported ONNX backbone never thaws:
 * a stage asking it to is refused with the reason. */
export async function backboneForStages(id: string, stages: Pick<Stage, 'freezeTo'>[]): Promise<{ bb: StageBackbone; own: boolean }> {
  const spec = await resolveBackboneSpec(id)
  if (spec.source.kind === 'onnx') {
    const thawing = stages.findIndex((s) => s.freezeTo !== -1)
    if (thawing >= 0) throw new ThawError('BAD_PLAN', `stage ${thawing + 1} would thaw the backbone: ${frozenOnlyReason(spec)} (use freezeTo -1)`)
    return { bb: { ...(await onnxBackbone(id)), model: null }, own: false }
  }
  const shared = await backbone(id)
  const groups = shared.spec.groups.length + 1
  const thaws = stages.some((s) => firstThawedGroup(s.freezeTo, groups) < groups - 1)
  if (!thaws) return { bb: shared, own: false }
  const own = await loadBackbone(id, { download: false })
  if (own.source.sha256 !== shared.source.sha256) throw new ThawError('BACKBONE_CHANGED', `the ${id} weights changed on disk during the run`)
  return { bb: own, own: true }
}

/** The network a run trains: the backbone (the worker's shared one, or an own copy when a stage
 * thaws it), the parts of it that stages cut out, and a new head. `dispose` when done. */
export class Network {
  private readonly segments = new Map<string, tf.LayersModel>()
  private readonly parts: ReturnType<typeof frozenParts>

  private constructor(
    /** an imported ONNX backbone has no TF.js model (`model: null`): only its head trains */
    readonly bb: StageBackbone,
    /** the backbone is this run's own copy (its weights train) */
    readonly own: boolean,
    readonly head: tf.LayersModel
  ) {
    this.parts = frozenParts(bb, own, this.segment)
  }

  static async open(backboneId: string, stages: Pick<Stage, 'freezeTo'>[], classes: number, seed?: number): Promise<Network> {
    const { bb, own } = await backboneForStages(backboneId, stages)
    return new Network(bb, own, buildHead(2 * bb.spec.featureShape[2], classes, { seed }))
  }

  /** the part of the backbone between two layers, built once */
  readonly segment = (from: string | null, to: string): tf.LayersModel => {
    const model = this.bb.model
    if (!model) throw new ThawError('BACKBONE_FROZEN_ONLY', frozenOnlyReason(this.bb.spec) ?? `${this.bb.spec.id} has no TF.js model`)
    if (!this.own) return sharedSegment(this.bb as LoadedBackbone, from, to)
    const key = `${from}:${to}`
    let seg = this.segments.get(key)
    if (!seg) this.segments.set(key, (seg = buildSegment(model, from, to)))
    return seg
  }

  /** the frozen part from the input to a layer, on ONNX Runtime or TF.js (engine/onnx) */
  readonly frozen = (to: string, reduce: 'concat-pool' | 'none'): FrozenRunner => this.parts.frozen(to, reduce)

  /** the weights that train in the run, as a checkpoint holds them */
  readonly trainedWeights = (): Omit<CheckpointWeights, 'optimizers'> => ({
    head: this.head.getWeights(),
    backbone: this.own && this.bb.model ? this.bb.model.getWeights() : []
  })

  readonly setTrainedWeights = (w: Omit<CheckpointWeights, 'optimizers'>): void => {
    this.head.setWeights(w.head)
    if (this.own) this.bb.model?.setWeights(w.backbone)
  }

  /** the same weights in one list, head first (what best weights keep) */
  readonly weights = (): tf.Tensor[] => {
    const w = this.trainedWeights()
    return [...w.head, ...w.backbone]
  }

  readonly setWeights = (weights: tf.Tensor[]): void => {
    const n = this.head.weights.length
    this.setTrainedWeights({ head: weights.slice(0, n), backbone: weights.slice(n) })
  }

  async dispose(): Promise<void> {
    await this.parts.release()
    this.head.dispose()
    // segments hold references to the layers they share: drop them before the model itself, with
    // their ONNX Runtime training sessions, kept between the run's stages (engines/onnx)
    for (const seg of this.segments.values()) {
      seg.dispose()
      await releaseSegmentEngines(seg)
    }
    if (this.own) this.bb.model?.dispose()
  }
}
