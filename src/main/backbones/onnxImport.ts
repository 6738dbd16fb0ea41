// Backbones the user brings as an ONNX file: a frozen feature extractor (a ResNet50, an
// EfficientNet, a CLIP image encoder...) that ONNX Runtime runs and nothing trains. The file is
// read by ONNX Runtime itself (its input and output metadata, then one blank batch to learn the
// feature's shape and prove it runs here), copied into the backbone cache beside a description
// that records its sha256, and loaded from there afterwards, so it keeps working after the
// original moves, and a damaged or replaced copy is noticed. Runs in an engine worker only.
import path from 'node:path'
import type { InferenceSession } from 'onnxruntime-node'
import { loadOnnxRuntime } from '../engine/onnxruntime'
import { decodeModel } from '../export/onnx'
import { refusePseudoFs } from '../util/pseudoFs'
import { MODEL_FILE_MAX_BYTES, readRegularFile } from '../util/safeRead'
import { backboneDir, defaultCacheDir, writeFileAtomic, writeStamp } from './cache'
import { CUSTOM_SPEC_FILE } from './custom'
import { BackboneError } from './errors'
import { sha256Hex } from './io'
import { builtinBackbone } from './registry'
import type { BackboneSpec, OnnxBackboneIo, Preprocessing } from './types'

/** The file's name inside the backbone's cache folder. */
export const ONNX_BACKBONE_FILE = 'model.onnx'
/** Protobuf cannot hold more than 2 GB in one message, so no valid ONNX file without external
 * data is larger; files with external data are refused (they are not one file). */
export const ONNX_BACKBONE_MAX_BYTES = MODEL_FILE_MAX_BYTES

export interface ImportOnnxOptions {
  /** default: `onnx-<file name>-<first 8 hex of the file's sha256>` */
  id?: string
  displayName?: string
  /** [height, width]: required when the file leaves its image size open */
  inputSize?: readonly [number, number]
  /** the graph output that is the feature; required when several could be */
  output?: string
  /** where the colour channels are; read from the input's shape when it says (a 3 on one side) */
  layout?: 'NCHW' | 'NHWC'
  /** cannot be read from the file: the user says how its pixels were scaled in training (a file
   * that passes every other check is refused without it) */
  preprocessing?: Preprocessing
  cacheDir?: string
  maxBytes?: number
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/

type Dim = number | string
const fmt = (shape: readonly Dim[]): string => `[${shape.map((d) => (typeof d === 'number' && d >= 0 ? d : typeof d === 'string' && d ? d : '?')).join(', ')}]`
const fixed = (d: Dim | undefined): d is number => typeof d === 'number' && d > 0

function refuse(code: ConstructorParameters<typeof BackboneError>[0], message: string): never {
  throw new BackboneError(code, message)
}

/** Reads, checks and registers an ONNX feature extractor; nothing is written unless all passes. */
export async function importOnnxBackbone(file: string, options: ImportOnnxOptions): Promise<BackboneSpec> {
  const source = path.resolve(file)
  refusePseudoFs(source, 'the ONNX file')
  const bytes = await readRegularFile(source, { maxBytes: options.maxBytes ?? ONNX_BACKBONE_MAX_BYTES, what: 'the ONNX backbone' })
  const sha = sha256Hex(bytes)
  const ort = await loadOnnxRuntime()
  let session: InferenceSession
  try {
    session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1, graphOptimizationLevel: 'basic' })
  } catch (err) {
    const why = (err as Error).message.split('\n')[0]
    refuse('BACKBONE_NOT_ONNX', `${source} is not an ONNX model that ONNX Runtime can load (${why}); export the network to a single .onnx file (e.g. torch.onnx.export or tf2onnx)`)
  }
  try {
    const io = describeIo(session, source, options)
    const featureShape = await probe(ort, session, io.io, io.inputSize, source)
    const preprocessing = options.preprocessing
    if (!preprocessing) {
      refuse(
        'BACKBONE_NO_PREPROCESSING',
        `say how ${source} expects its pixels (an ONNX file does not record it): --preprocessing imagenet | clip | minus-one-to-one | zero-to-one | raw, or --scale with --offset (and --mean, --std)`
      )
    }
    const id = options.id ?? `onnx-${slug(path.basename(source, path.extname(source)))}-${sha.slice(0, 8)}`
    if (!ID_PATTERN.test(id)) refuse('BACKBONE_BAD_FOLDER', `${id} cannot be a backbone id: use letters, digits, '.', '_' and '-'`)
    if (builtinBackbone(id)) refuse('BACKBONE_BAD_FOLDER', `${id} is the id of a built-in backbone; choose another`)
    const spec: BackboneSpec = {
      id,
      displayName: options.displayName ?? `${path.basename(source)} (ONNX)`,
      description: `Imported from ${source}: a frozen ONNX feature extractor (output ${io.io.output}), run by ONNX Runtime`,
      inputSize: io.inputSize,
      preprocessing,
      licence: { name: 'as stated by its author (imported by the user)' },
      source: { kind: 'onnx', importedFrom: source, origin: `the ONNX file ${source} (sha256 ${sha})` },
      files: [{ name: ONNX_BACKBONE_FILE, bytes: bytes.byteLength, sha256: sha, role: 'model' }],
      featureLayer: io.io.output,
      featureShape,
      // nothing to thaw: the head is the only group (frozenOnlyReason says why)
      groups: [],
      params: parameterCount(bytes),
      onnx: io.io
    }
    const dir = backboneDir(options.cacheDir ?? defaultCacheDir(), id)
    await writeFileAtomic(path.join(dir, ONNX_BACKBONE_FILE), bytes)
    await writeFileAtomic(path.join(dir, CUSTOM_SPEC_FILE), JSON.stringify(spec, null, 2))
    await writeStamp(dir, id, new Map([[ONNX_BACKBONE_FILE, sha]]))
    return spec
  } finally {
    await session.release()
  }
}

function tensorMeta(m: InferenceSession.ValueMetadata): { type: string; shape: readonly Dim[] } | null {
  return m.isTensor ? { type: m.type, shape: m.shape } : null
}

/** The image input, its layout and size, and the feature output, from the session's metadata and
 * the user's flags; every doubt is a refusal naming the flag that settles it. */
function describeIo(session: InferenceSession, source: string, o: ImportOnnxOptions): { io: OnnxBackboneIo; inputSize: readonly [number, number] } {
  const inputs = session.inputMetadata
  if (inputs.length !== 1) {
    refuse('BACKBONE_NO_IMAGE_INPUT', `${source} takes ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); a backbone takes one image batch`)
  }
  const input = inputs[0]!
  const meta = tensorMeta(input)
  const wanted = 'a float32 image batch, [batch, 3, height, width] (NCHW) or [batch, height, width, 3] (NHWC)'
  if (!meta || meta.type !== 'float32' || meta.shape.length !== 4) {
    const what = meta ? `${meta.type} ${fmt(meta.shape)}` : 'not a tensor'
    refuse('BACKBONE_NO_IMAGE_INPUT', `${source} has no image-shaped input: its input ${input.name} is ${what}, not ${wanted}`)
  }
  const shape = meta.shape
  let layout = o.layout
  if (!layout) {
    const first = shape[1] === 3
    const last = shape[3] === 3
    if (first === last) {
      refuse(
        'BACKBONE_NO_IMAGE_INPUT',
        `${source} takes ${fmt(shape)}: its colour channels could be on axis 1 or 3; say which with --layout NCHW or --layout NHWC`
      )
    }
    layout = first ? 'NCHW' : 'NHWC'
  }
  const [c, h, w] = layout === 'NCHW' ? [shape[1], shape[2], shape[3]] : [shape[3], shape[1], shape[2]]
  if (fixed(c) && c !== 3) refuse('BACKBONE_NO_IMAGE_INPUT', `${source} takes ${fmt(shape)}: as ${layout} that is ${c} channels, not 3 (RGB)`)
  if (fixed(shape[0]) && shape[0] !== 1) {
    refuse('BACKBONE_DYNAMIC_SHAPE', `${source} fixes its batch at ${shape[0]} images; a backbone must take any batch (or 1)`)
  }
  let inputSize: readonly [number, number]
  if (o.inputSize) {
    if ((fixed(h) && h !== o.inputSize[0]) || (fixed(w) && w !== o.inputSize[1])) {
      refuse('BACKBONE_DYNAMIC_SHAPE', `${source} takes ${h}x${w} images, not the ${o.inputSize[0]}x${o.inputSize[1]} given by --input-size`)
    }
    inputSize = o.inputSize
  } else if (fixed(h) && fixed(w)) {
    inputSize = [h, w]
  } else {
    refuse(
      'BACKBONE_DYNAMIC_SHAPE',
      `${source} leaves its image size open (input ${input.name} is ${fmt(shape)}); say the size it was trained at with --input-size (e.g. --input-size 224)`
    )
  }

  const outputs = session.outputMetadata
  const describe = (m: InferenceSession.ValueMetadata): string => {
    const t = tensorMeta(m)
    return `${m.name} ${t ? `${t.type} ${fmt(t.shape)}` : '(not a tensor)'}`
  }
  let chosen: InferenceSession.ValueMetadata
  if (o.output) {
    const named = outputs.find((m) => m.name === o.output)
    if (!named) refuse('BACKBONE_BAD_LAYER', `${source} has no output named ${o.output}; its outputs are ${outputs.map(describe).join(', ')}`)
    chosen = named
  } else {
    // a feature is a float map or vector; unknown ranks count too (the probe decides)
    const candidates = outputs.filter((m) => {
      const t = tensorMeta(m)
      return t && t.type === 'float32' && (t.shape.length === 0 || t.shape.length === 2 || t.shape.length === 4)
    })
    if (candidates.length === 0) {
      refuse('BACKBONE_BAD_LAYER', `${source} has no output that could be a feature (a float32 [batch, channels] vector or a 4D map): ${outputs.map(describe).join(', ')}`)
    }
    if (candidates.length > 1) {
      refuse('BACKBONE_SEVERAL_OUTPUTS', `${source} has ${candidates.length} outputs that could be the feature (${candidates.map(describe).join(', ')}); say which with --output`)
    }
    chosen = candidates[0]!
  }
  const out = tensorMeta(chosen)
  if (!out || out.type !== 'float32') refuse('BACKBONE_BAD_LAYER', `the output ${describe(chosen)} is not float32 values; the feature must be`)
  return {
    io: { input: input.name, layout, output: chosen.name, outputRank: out.shape.length === 2 ? 2 : 4, batchOne: fixed(shape[0]) },
    inputSize
  }
}

/** One blank batch through the file: the feature's real shape (which the metadata may leave
 * open), and proof that it runs here at the input size. */
async function probe(
  ort: Awaited<ReturnType<typeof loadOnnxRuntime>>,
  session: InferenceSession,
  io: OnnxBackboneIo,
  [height, width]: readonly [number, number],
  source: string
): Promise<[number, number, number]> {
  const n = io.batchOne ? 1 : 2
  const dims = io.layout === 'NCHW' ? [n, 3, height, width] : [n, height, width, 3]
  let result: InferenceSession.ReturnType
  try {
    result = await session.run({ [io.input]: new ort.Tensor('float32', new Float32Array(n * 3 * height * width), dims) }, [io.output])
  } catch (err) {
    refuse('BACKBONE_DYNAMIC_SHAPE', `${source} does not run on a ${fmt(dims)} batch: ${(err as Error).message.split('\n')[0]}`)
  }
  const out = result[io.output]!
  const shape = [...out.dims]
  out.dispose()
  if (shape[0] !== n || (shape.length !== 2 && shape.length !== 4)) {
    refuse(
      'BACKBONE_BAD_LAYER',
      `the output ${io.output} gives ${fmt(shape)} for ${n} images; the feature must be [batch, channels] or a [batch, ...] 4D map, one per image`
    )
  }
  io.outputRank = shape.length as 2 | 4
  if (shape.length === 2) return [1, 1, shape[1]!]
  return io.layout === 'NCHW' ? [shape[2]!, shape[3]!, shape[1]!] : [shape[1]!, shape[2]!, shape[3]!]
}

/** Weights the file holds (its initializers), for the list of backbones; 0 when unreadable. */
function parameterCount(bytes: Uint8Array): number {
  try {
    return decodeModel(bytes).graph.initializer.reduce((sum, t) => sum + (t.dims ?? []).reduce((a, b) => a * b, 1), 0)
  } catch {
    return 0
  }
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'model'
}
