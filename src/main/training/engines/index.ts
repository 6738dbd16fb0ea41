// Where a native training engine plugs in: each kind of trainable part asks here for the engine
// that runs its steps. An engine implements FastStep (fastStep.ts) in a folder of its own
// (onnx/: ONNX Runtime); it declines a stage it cannot run (FastStep.begin says why) and the
// fit loop falls back to TF.js for that stage and reports it.
import type * as tf from '@tensorflow/tfjs'
import type { FastStep } from './fastStep'
import { OnnxHeadStep } from './onnx/headStep'
import { OnnxThawStep, releaseSegmentSessions, type ThawGroups } from './onnx/thawStep'

export type { FastStep, StepBatch } from './fastStep'

/** The engine for head-only stages (the head over pooled features). */
export function headEngine(head: tf.LayersModel, opts: { threads?: number } = {}): FastStep {
  return new OnnxHeadStep(head, opts)
}

/** The engine for thawing stages: the thawed backbone segment, concat pooling and the head. */
export function thawEngine(segment: tf.LayersModel, head: tf.LayersModel, parts: ThawGroups, opts: { threads?: number } = {}): FastStep {
  return new OnnxThawStep(segment, head, parts, opts)
}

/** Frees what the engines built for a segment (a run's network disposes it). */
export async function releaseSegmentEngines(segment: tf.LayersModel): Promise<void> {
  await releaseSegmentSessions(segment)
}
