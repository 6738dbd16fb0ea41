import { stat } from 'node:fs/promises'
import { BackboneError, frozenOnlyReason, importBackboneFromFolder, importOnnxBackbone, listBackbones, type BackboneSpec, type Preprocessing } from '../../backbones'
import { refusePseudoFs } from '../../util/pseudoFs'
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
  params: s.params,
  frozenOnly: frozenOnlyReason(s)
})

export async function backboneList(): Promise<BackboneInfo[]> {
  return (await listBackbones()).map(info)
}

export interface ImportBackboneArgs {
  /** a TF.js Layers model folder, or an .onnx file */
  folder: string
  id?: string
  displayName?: string
  inputSize?: number
  featureLayer?: string
  scale?: number
  offset?: number
  mean?: [number, number, number]
  std?: [number, number, number]
  resize?: 'squash' | 'center-crop'
  channels?: 'RGB' | 'BGR'
  layout?: 'NCHW' | 'NHWC'
  output?: string
}

/** The words the refusals use for the flags (the CLI's; the app's form has the same fields). */
const ONNX_ONLY_FLAGS = ['mean', 'std', 'layout', 'output'] as const

export async function importBackbone(a: ImportBackboneArgs): Promise<BackboneInfo> {
  await engine()
  const target = refusePseudoFs(a.folder, 'the model')
  const found = await stat(target).catch(() => null)
  if (!found) {
    const what = /\.onnx$/i.test(target) ? 'the ONNX file' : 'the model folder'
    throw new BackboneError('BACKBONE_BAD_FOLDER', `${what} ${target} does not exist`)
  }
  if (found.isFile()) return info(await importOnnx(a))
  const onnxOnly = ONNX_ONLY_FLAGS.filter((k) => a[k] !== undefined)
  if (onnxOnly.length) {
    throw new BackboneError('BACKBONE_BAD_FOLDER', `${onnxOnly.map((k) => `--${k}`).join(', ')} ${onnxOnly.length > 1 ? 'apply' : 'applies'} to ONNX files only; ${a.folder} is a TF.js model folder`)
  }
  const spec = await importBackboneFromFolder(a.folder, {
    ...(a.id ? { id: a.id } : {}),
    ...(a.displayName ? { displayName: a.displayName } : {}),
    ...(a.inputSize ? { inputSize: [a.inputSize, a.inputSize] as const } : {}),
    ...(a.featureLayer ? { featureLayer: a.featureLayer } : {}),
    ...(a.scale !== undefined
      ? { preprocessing: { resize: a.resize ?? 'center-crop', scale: a.scale, offset: a.offset ?? 0, channels: a.channels ?? 'RGB' } }
      : {})
  })
  return info(spec)
}

function importOnnx(a: ImportBackboneArgs): Promise<BackboneSpec> {
  if (a.featureLayer) throw new BackboneError('BACKBONE_BAD_LAYER', `an ONNX backbone's feature is one of its outputs: say which with --output, not --feature-layer`)
  const preprocessing: Preprocessing | undefined =
    a.scale === undefined
      ? undefined
      : {
          resize: a.resize ?? 'center-crop',
          scale: a.scale,
          offset: a.offset ?? 0,
          channels: a.channels ?? 'RGB',
          ...(a.mean ? { mean: a.mean } : {}),
          ...(a.std ? { std: a.std } : {})
        }
  return importOnnxBackbone(a.folder, {
    ...(preprocessing ? { preprocessing } : {}),
    ...(a.id ? { id: a.id } : {}),
    ...(a.displayName ? { displayName: a.displayName } : {}),
    ...(a.inputSize ? { inputSize: [a.inputSize, a.inputSize] as const } : {}),
    ...(a.output ? { output: a.output } : {}),
    ...(a.layout ? { layout: a.layout } : {})
  })
}
