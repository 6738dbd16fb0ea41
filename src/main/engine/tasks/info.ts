import { importBackboneFromFolder, listBackbones, type BackboneSpec } from '../../backbones'
import type { BackboneInfo, EngineInfo } from '../../../shared/types'
import { gpuProvider, thisMachine } from '../onnx/providers'
import { engine, frozenSettings } from '../runtime'

export async function engineInfo(): Promise<Omit<EngineInfo, 'preference'>> {
  const b = await engine()
  return { backend: b.name, detail: b.detail, gpu: b.gpu, frozen: frozenEngineInfo(b.detail) }
}

/** What frozen forwards will run on, as far as can be known before a segment's first batch
 * (which converts it, starts the provider and checks it against TF.js). */
export function frozenEngineInfo(tfjsDetail: string, machine = thisMachine): EngineInfo['frozen'] {
  const s = frozenSettings()
  const gpu = gpuProvider(machine)
  const gpuName = 'name' in gpu ? gpu.name : null
  const onnx =
    s.provider !== 'cpu' && gpuName
      ? `ONNX Runtime on ${gpuName} (CPU if it fails to start)`
      : `ONNX Runtime, CPU, ${s.threads} thread${s.threads === 1 ? '' : 's'}`
  const detail =
    s.runtime === 'tfjs'
      ? `TF.js ${tfjsDetail}`
      : s.runtime === 'onnx'
        ? onnx
        : `${onnx}, where the segment converts and passes its check; else TF.js ${tfjsDetail}`
  return { runtime: s.runtime, provider: s.provider, gpuProvider: gpuName, gpuMissing: 'why' in gpu ? gpu.why : null, threads: s.threads, detail }
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
