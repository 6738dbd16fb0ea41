// The bundle model of a model trained on an imported ONNX backbone: one ONNX graph from pixels
// to probabilities, made of
//   preprocess/  the backbone's registered pixel rule (channel order, scale and offset, mean and
//                std) and layout (NHWC -> NCHW), as nodes of our own;
//   backbone/    the user's file itself, every name prefixed so nothing collides, cut down to the
//                nodes its feature output needs, read and written back losslessly (lossless.ts);
//   head/        the studio's concat pooling and the trained head with its softmax, converted by
//                the studio's own converter (onnx/convert.ts) from the very TF.js layers the
//                studio predicts with.
// The graph keeps the file's opset (the meaning of its operators depends on it) and an IR version
// that carries it, and the studio's bundle interface: input `image` float32 [N, H, W, 3] RGB
// 0..255, output `probabilities` [N, classes]. The export's check then proves it equal to the
// studio's own prediction path (the file on ONNX Runtime, pooling in JS, the head on TF.js).
import * as tf from '@tensorflow/tfjs'
import type { BackboneSpec, OnnxBackboneIo } from '../backbones'
import { ThawError } from '../errors'
import { applyLayers, concatPoolLayers } from '../training/fuse'
import { MODEL_FILE_MAX_BYTES } from '../util/safeRead'
import { INPUT_NAME, OUTPUT_NAME } from './bundleFiles'
import { irVersionFor, MAX_OPSET, MIN_OPSET, tfjsToOnnx } from './onnx/convert'
import { attr, GraphBuilder, type Attr } from './onnx/graph'
import { externalTensors, pruneGraph, renameGraph } from './onnx/graphSurgery'
import { readModel, toNumber, writeModel, type LGraph, type LModel, type LValueInfo } from './onnx/lossless'
import { DataType } from './onnx/onnxProto'

export const BACKBONE_PREFIX = 'backbone/'
export const HEAD_PREFIX = 'head/'
export const PREPROCESS_PREFIX = 'preprocess/'

export interface ImportedBundleInput {
  /** the imported file's bytes, as checked against its digest by the backbone loader */
  file: Uint8Array
  spec: Pick<BackboneSpec, 'id' | 'inputSize' | 'preprocessing' | 'featureShape'> & { onnx?: OnnxBackboneIo | undefined }
  /** the stored network: concat-pooled features -> probabilities (fuse.ts's fuseHead) */
  head: tf.LayersModel
  /** an opset the user asked for; the file's own is the only one it can have */
  opset?: number | undefined
  producerVersion: string
  docString: string
  /** the largest model.onnx to write (protobuf's 2 GB; smaller in tests) */
  maxBytes?: number
}

export interface ImportedBundleModel {
  bytes: Uint8Array
  opset: number
  irVersion: number
  /** the file fixes its batch at 1, and so does the bundle's input */
  batchOne: boolean
}

const DEFAULT_DOMAINS = new Set(['', 'ai.onnx'])
const mb = (n: number): string => `${(n / 1024 ** 2).toFixed(0)} MB`

function tooLarge(what: string, bytes: number, max: number): ThawError {
  return new ThawError(
    'EXPORT_TOO_LARGE',
    `${what} would be ${mb(bytes)}, over the ${mb(max)} a single ONNX file can hold (protobuf's limit); a bundle of a backbone this large cannot be one file`
  )
}

/** The file's opset for the standard operators, which the bundle must keep. */
function fileOpset(model: LModel, id: string, requested: number | undefined): number {
  const entry = model.opsetImport.find((o) => DEFAULT_DOMAINS.has(o.domain ?? ''))
  const opset = entry ? toNumber(entry.version) : (requested ?? MIN_OPSET)
  if (opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new ThawError(
      'EXPORT_OPSET',
      `the imported ONNX backbone ${id} uses ONNX opset ${opset}, and the bundle must keep its opset (the meaning of its operators depends on it), but the studio writes the head at opsets ${MIN_OPSET} to ${MAX_OPSET} only: export your network again at an opset in that range (for example torch.onnx.export(..., opset_version=17)) and import it again`
    )
  }
  if (requested !== undefined && requested !== opset) {
    throw new ThawError(
      'EXPORT_OPSET',
      `the imported ONNX backbone ${id} uses ONNX opset ${opset}, and the bundle keeps it (changing it would change what its operators mean): ask for opset ${opset}, or for none`
    )
  }
  return opset
}

/** The studio's concat pooling and the head as one TF.js model over the NHWC feature map, and
 * its ONNX graph from the studio's converter. Shares the head's layers and weights. */
async function headGraph(head: tf.LayersModel, [h, w, c]: readonly number[], opset: number, producerVersion: string): Promise<LModel> {
  const input = tf.input({ shape: [h!, w!, c!], name: 'map' })
  // `head` ends with its softmax already (fuseHead)
  const model = tf.model({ inputs: input, outputs: applyLayers(head, concatPoolLayers(input)), name: 'thaw_pool_head' })
  try {
    return readModel(await tfjsToOnnx(model, { opset, inputName: 'map', outputName: OUTPUT_NAME, producerVersion }))
  } finally {
    model.dispose() // drops its references only: the head's layers live on in `head`
  }
}

function tensorInfo(name: string, dims: (number | string)[]): LValueInfo {
  return {
    name,
    type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } }
  }
}

/** Our nodes from `image` to the file's input (`into`), and from the file's feature (`feature`)
 * to the head's NHWC map (`map`): the registered pixel rule and the layouts. */
function glue(spec: ImportedBundleInput['spec'], io: OnnxBackboneIo, into: string, feature: string, map: string): { graph: LGraph; before: number } {
  const g = new GraphBuilder()
  const pre = spec.preprocessing
  g.reserve(INPUT_NAME)
  // the studio feeds the file as preprocess.ts's writeImage does: channels reordered first, then
  // (pixel * scale + offset - mean[c]) / std[c], folded into one multiply-add per channel
  const mean = pre.mean ?? [0, 0, 0]
  const std = pre.std ?? [1, 1, 1]
  const a = Float32Array.from([0, 1, 2], (c) => pre.scale / std[c]!)
  const b = Float32Array.from([0, 1, 2], (c) => (pre.offset - mean[c]!) / std[c]!)
  const ops: { op: string; inputs: (x: string) => string[]; attrs?: Record<string, Attr> }[] = []
  if (pre.channels === 'BGR') ops.push({ op: 'Gather', inputs: (x) => [x, g.int64Vector([2, 1, 0])], attrs: { axis: attr.int(3) } })
  ops.push({ op: 'Mul', inputs: (x) => [x, g.floatTensor('scale', [3], a)] })
  ops.push({ op: 'Add', inputs: (x) => [x, g.floatTensor('offset', [3], b)] })
  if (io.layout === 'NCHW') ops.push({ op: 'Transpose', inputs: (x) => [x], attrs: { perm: attr.ints([0, 3, 1, 2]) } })
  // the last step writes the file's input, by its (prefixed) name
  let x = INPUT_NAME
  ops.forEach((o, i) => (x = g.node(o.op, o.inputs(x), o.attrs ?? {}, 'pixels', i === ops.length - 1 ? into : undefined)))
  const before = g.nodes.length
  // the feature as the head's NHWC map: a vector is a 1x1 map, an NCHW map is transposed
  const [, , c] = spec.featureShape
  if (io.outputRank === 2) g.node('Reshape', [feature, g.int64Vector([-1, 1, 1, c])], {}, 'features', map)
  else if (io.layout === 'NCHW') g.node('Transpose', [feature], { perm: attr.ints([0, 2, 3, 1]) }, 'features', map)
  else g.node('Identity', [feature], {}, 'features', map)
  // node names of our own, apart from the values they write (which may be the file's names)
  g.nodes.forEach((n, i) => (n.name = `${i}_${n.opType}`))
  return { graph: { node: g.nodes, initializer: g.initializers, sparseInitializer: [], input: [], output: [], valueInfo: [], quantizationAnnotation: [] }, before }
}

/** Builds the bundle's model.onnx; refuses in the user's words what cannot be one checked file. */
export async function importedBundleModel(args: ImportedBundleInput): Promise<ImportedBundleModel> {
  const { spec } = args
  const io = spec.onnx
  if (!io) throw new ThawError('EXPORT_BAD_BACKBONE', `${spec.id} has no record of its ONNX input and feature output: import the file again`)
  const maxBytes = args.maxBytes ?? MODEL_FILE_MAX_BYTES
  const headBytes = 4 * args.head.countParams()
  if (args.file.byteLength + headBytes >= maxBytes) throw tooLarge(`the bundle's model.onnx (your ONNX file and the head)`, args.file.byteLength + headBytes, maxBytes)

  let model: LModel
  try {
    model = readModel(args.file)
  } catch (err) {
    throw new ThawError('EXPORT_BAD_BACKBONE', `the imported ONNX backbone ${spec.id} cannot be read as an ONNX model: ${(err as Error).message.split('\n')[0]}`)
  }
  const graph = model.graph
  if (!graph) throw new ThawError('EXPORT_BAD_BACKBONE', `the imported ONNX backbone ${spec.id} has no graph`)
  const external = externalTensors(model)
  if (external.length) {
    throw new ThawError(
      'EXPORT_EXTERNAL_DATA',
      `the imported ONNX backbone ${spec.id} keeps the values of ${external.length} tensor${external.length > 1 ? 's' : ''} (${external.slice(0, 3).join(', ')}${external.length > 3 ? ', …' : ''}) in files beside it (external data), so it cannot be joined into one model file: save it as a single .onnx file (onnx.save_model(model, path, save_as_external_data=False)) and import that`
    )
  }
  const opset = fileOpset(model, spec.id, args.opset)

  // the file's graph: only what its feature needs, every name prefixed; its image input is fed
  // by our preprocessing, and inputs that are initializers (old exporters list them) are constants
  pruneGraph(graph, [io.output])
  const initializers = new Set(graph.initializer.map((t) => t.name ?? ''))
  const image = graph.input.find((v) => v.name === io.input)
  const other = graph.input.filter((v) => v.name !== io.input && !initializers.has(v.name ?? ''))
  if (other.length) {
    throw new ThawError('EXPORT_BAD_BACKBONE', `the imported ONNX backbone ${spec.id} needs inputs other than the image (${other.map((v) => v.name).join(', ')}), which a bundle cannot feed`)
  }
  renameGraph(graph, (name) => `${BACKBONE_PREFIX}${name}`)
  const into = `${BACKBONE_PREFIX}${io.input}`
  const feature = `${BACKBONE_PREFIX}${io.output}`

  const head = await headGraph(args.head, spec.featureShape, opset, args.producerVersion)
  const headGraphProto = head.graph!
  const map = `${HEAD_PREFIX}map`
  renameGraph(headGraphProto, (name) => (name === OUTPUT_NAME ? name : `${HEAD_PREFIX}${name}`))
  const { graph: glued, before } = glue(spec, io, into, feature, map)
  renameGraph(glued, (name) => (name === INPUT_NAME || name === into || name === feature || name === map ? name : `${PREPROCESS_PREFIX}${name}`))

  const [height, width] = spec.inputSize
  const batchOne = io.batchOne
  const merged: LGraph = {
    name: 'thaw_imported_classifier',
    docString: graph.docString ?? '',
    // in topological order: pixels to the file's input, the file, its feature to the map, the head
    node: [...glued.node.slice(0, before), ...graph.node, ...glued.node.slice(before), ...headGraphProto.node],
    initializer: [...glued.initializer, ...graph.initializer, ...headGraphProto.initializer],
    sparseInitializer: graph.sparseInitializer,
    input: [tensorInfo(INPUT_NAME, [batchOne ? 1 : 'N', height, width, 3])],
    output: headGraphProto.output,
    // the file's own typing of its (now inner) image input and values helps shape inference
    valueInfo: [...(image ? [image] : []), ...graph.valueInfo],
    quantizationAnnotation: graph.quantizationAnnotation
  }
  const irVersion = Math.max(toNumber(model.irVersion), irVersionFor(opset))
  const hasDefault = model.opsetImport.some((o) => DEFAULT_DOMAINS.has(o.domain ?? ''))
  const out: LModel = {
    irVersion,
    opsetImport: hasDefault ? model.opsetImport : [...model.opsetImport, { domain: '', version: opset }],
    producerName: 'thaw-studio',
    producerVersion: args.producerVersion,
    docString: args.docString,
    graph: merged,
    metadataProps: model.metadataProps,
    // a deployment bundle does not train: the file's training steps name values renamed here
    trainingInfo: [],
    functions: model.functions
  }
  const bytes = writeModel(out)
  if (bytes.byteLength >= maxBytes) throw tooLarge(`the bundle's model.onnx`, bytes.byteLength, maxBytes)
  return { bytes, opset, irVersion, batchOne }
}
