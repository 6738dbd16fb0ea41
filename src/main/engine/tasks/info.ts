import { importBackboneFromFolder, listBackbones, type BackboneSpec } from '../../backbones'
import type { BackboneInfo, EngineInfo } from '../../../shared/types'
import { engine } from '../runtime'

export async function engineInfo(): Promise<Omit<EngineInfo, 'preference'>> {
  const b = await engine()
  return { backend: b.name, detail: b.detail, gpu: b.gpu }
}

const info = (s: BackboneSpec): BackboneInfo => ({
  id: s.id,
  displayName: s.displayName,
  description: s.description,
  sourceKind: s.source.kind,
  recommended: !!s.recommended,
  caveat: s.caveat ?? null,
  inputSize: s.inputSize[0],
  featureLayer: s.featureLayer,
  params: s.params
})

export async function backboneList(): Promise<BackboneInfo[]> {
  return (await listBackbones()).map(info)
}

export interface ImportBackboneArgs {
  folder: string
  id?: string
  displayName?: string
  inputSize?: number
  featureLayer?: string
  scale?: number
  offset?: number
}

export async function importBackbone(a: ImportBackboneArgs): Promise<BackboneInfo> {
  await engine()
  const spec = await importBackboneFromFolder(a.folder, {
    ...(a.id ? { id: a.id } : {}),
    ...(a.displayName ? { displayName: a.displayName } : {}),
    ...(a.inputSize ? { inputSize: [a.inputSize, a.inputSize] as const } : {}),
    ...(a.featureLayer ? { featureLayer: a.featureLayer } : {}),
    ...(a.scale !== undefined ? { preprocessing: { resize: 'center-crop', scale: a.scale, offset: a.offset ?? 0, channels: 'RGB' } } : {})
  })
  return info(spec)
}
