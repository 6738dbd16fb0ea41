import { describeGroups, frozenOnlyReason, resolveBackboneSpec, type BackboneSpec, type GroupDescription } from '../../backbones'
import { groupMembers, isBatchNorm } from '../../training/groups'
import type { BackendInfo } from '../backend'
import type { TaskContext } from '../protocol'
import { backbone, engine, onnxBackbone } from '../runtime'

export interface BackboneDescription {
  spec: BackboneSpec
  sha256: string
  sourceKind: string
  location: string
  backend: BackendInfo
  groups: (GroupDescription & { batchNormLayers: number })[]
  /** why it cannot thaw (an imported ONNX backbone: `groups` is empty), or null */
  frozenOnly: string | null
}

/** Loads a backbone (downloading it into the cache on first use) and describes it. */
export async function describeBackbone(args: { backbone: string }, ctx: TaskContext): Promise<BackboneDescription> {
  const backend = await engine()
  if ((await resolveBackboneSpec(args.backbone)).source.kind === 'onnx') {
    // its file, checked against the digest recorded at import: a missing or changed copy says so
    const ob = await onnxBackbone(args.backbone)
    return { spec: ob.spec, sha256: ob.source.sha256, sourceKind: 'onnx', location: ob.source.location, backend, groups: [], frozenOnly: frozenOnlyReason(ob.spec) }
  }
  const bb = await backbone(args.backbone, (done, total) => ctx.progress(done, total, `downloading ${args.backbone}`))
  const members = groupMembers(bb.model, bb.spec)
  return {
    spec: bb.spec,
    sha256: bb.source.sha256,
    sourceKind: bb.source.kind,
    location: bb.source.location,
    backend,
    groups: describeGroups(bb.model, bb.spec).map((g, i) => ({ ...g, batchNormLayers: members[i]!.filter((n) => isBatchNorm(bb.model.getLayer(n))).length })),
    frozenOnly: null
  }
}
