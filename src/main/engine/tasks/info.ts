import { listBackbones } from '../../backbones'
import type { BackboneInfo, EngineInfo } from '../../../shared/types'
import { engine } from '../runtime'

export async function engineInfo(): Promise<EngineInfo> {
  const b = await engine()
  return { backend: b.name, detail: b.detail, gpu: b.gpu }
}

export async function backboneList(): Promise<BackboneInfo[]> {
  return (await listBackbones()).map((s) => ({
    id: s.id,
    displayName: s.displayName,
    description: s.description,
    sourceKind: s.source.kind,
    recommended: !!s.recommended,
    caveat: s.caveat ?? null,
    inputSize: s.inputSize[0],
    featureLayer: s.featureLayer,
    params: s.params
  }))
}
