// The "import a backbone from a folder" form as data: defaults, the preprocessing it asks the user
// to confirm, and the importBackbone arguments it becomes (or plain reasons why not yet).
import type { CommandArgs } from '../../../shared/contract'
import { PIXEL_PRESETS as NAMED_PRESETS } from '../../../shared/pixelPresets'

/** MobileNet-style [-1, 1]: the studio's default when no preprocessing is given. */
export const DEFAULT_SCALE = 1 / 127.5
export const DEFAULT_OFFSET = -1

export interface PixelPreset {
  name: string
  scale: number
  offset: number
  /** per-channel normalisation after the scaling (ONNX backbones only) */
  mean?: [number, number, number]
  std?: [number, number, number]
  /** what the model sees and who expects it */
  what: string
}

export const PIXEL_PRESETS: readonly PixelPreset[] = [
  { name: '[-1, 1]', scale: DEFAULT_SCALE, offset: DEFAULT_OFFSET, what: 'x / 127.5 − 1: MobileNet, EfficientNet-lite and most Keras applications' },
  { name: '[0, 1]', scale: 1 / 255, offset: 0, what: 'x / 255: many models trained from scratch' },
  { name: '0 – 255', scale: 1, offset: 0, what: 'x as is: models that scale the pixels themselves (a Rescaling layer)' }
]

/** An ONNX file's rules: ImageNet's and CLIP's per-channel normalisation first (what PyTorch
 * exports expect), then the plain scalings. */
export const ONNX_PIXEL_PRESETS: readonly PixelPreset[] = [
  { name: 'ImageNet', ...NAMED_PRESETS.imagenet },
  { name: 'CLIP', ...NAMED_PRESETS.clip },
  ...PIXEL_PRESETS
]

export interface BackboneImportForm {
  /** a TF.js Layers model folder (thawable), or an .onnx file (frozen) */
  kind: 'folder' | 'onnx'
  /** the folder, or the .onnx file */
  folder: string
  displayName: string
  /** NaN when left empty: read from the model */
  inputSize: number
  featureLayer: string
  scale: number
  offset: number
  /** ONNX only: per-channel mean and std after the scaling, null for none */
  mean: [number, number, number] | null
  std: [number, number, number] | null
  /** ONNX only: the output that is the feature ('' = the only candidate) */
  output: string
  /** ONNX only: '' = read from the input's shape */
  layout: '' | 'NCHW' | 'NHWC'
}

export function emptyImportForm(kind: BackboneImportForm['kind'] = 'folder'): BackboneImportForm {
  return { kind, folder: '', displayName: '', inputSize: NaN, featureLayer: '', scale: DEFAULT_SCALE, offset: DEFAULT_OFFSET, mean: null, std: null, output: '', layout: '' }
}

export type ImportArgsResult = { args: CommandArgs<'importBackbone'>; problems: [] } | { args: null; problems: string[] }

const same = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b))

/** The command's arguments; optional fields left empty are left out, so the studio decides (and
 * preprocessing is sent only when it differs from the studio's default, always as a pair: the
 * studio reads a missing offset as 0). */
export function backboneImportArgs(form: BackboneImportForm): ImportArgsResult {
  if (form.kind === 'onnx') return onnxImportArgs(form)
  const problems: string[] = []
  const folder = form.folder.trim()
  if (!folder) problems.push('Choose the folder that holds model.json')
  if (form.mean || form.std) problems.push('Per-channel mean and std are for ONNX files only')
  const displayName = form.displayName.trim()
  if (displayName.length > 200) problems.push('The display name is at most 200 characters')
  const sized = !Number.isNaN(form.inputSize)
  if (sized && !(Number.isInteger(form.inputSize) && form.inputSize >= 16 && form.inputSize <= 2048)) {
    problems.push('The input size is a whole number of pixels from 16 to 2048 (or empty: read from the model)')
  }
  if (!(Number.isFinite(form.scale) && form.scale > 0)) problems.push('The scale is a number above 0')
  if (!Number.isFinite(form.offset)) problems.push('The offset is a number (0 for none)')
  if (problems.length) return { args: null, problems }

  const featureLayer = form.featureLayer.trim()
  const custom = !same(form.scale, DEFAULT_SCALE) || !same(form.offset, DEFAULT_OFFSET)
  return {
    args: {
      folder,
      ...(displayName ? { displayName } : {}),
      ...(sized ? { inputSize: form.inputSize } : {}),
      ...(featureLayer ? { featureLayer } : {}),
      ...(custom ? { scale: form.scale, offset: form.offset } : {})
    },
    problems: []
  }
}

/** An ONNX file: its preprocessing is always sent (the file does not record it, and the studio
 * refuses to guess), with the mean and std when the rule has them. */
function onnxImportArgs(form: BackboneImportForm): ImportArgsResult {
  const problems: string[] = []
  const file = form.folder.trim()
  if (!file) problems.push('Give the path of the .onnx file')
  else if (!/\.onnx$/i.test(file)) problems.push('An ONNX backbone is one .onnx file: give its path')
  const displayName = form.displayName.trim()
  if (displayName.length > 200) problems.push('The display name is at most 200 characters')
  const sized = !Number.isNaN(form.inputSize)
  if (sized && !(Number.isInteger(form.inputSize) && form.inputSize >= 16 && form.inputSize <= 2048)) {
    problems.push('The input size is a whole number of pixels from 16 to 2048 (or empty: read from the file)')
  }
  if (!(Number.isFinite(form.scale) && form.scale > 0)) problems.push('The scale is a number above 0')
  if (!Number.isFinite(form.offset)) problems.push('The offset is a number (0 for none)')
  if (form.mean && !form.mean.every(Number.isFinite)) problems.push('The mean is three numbers, one per channel')
  if (form.std && !form.std.every((v) => Number.isFinite(v) && v > 0)) problems.push('The std is three numbers above 0, one per channel')
  if (problems.length) return { args: null, problems }
  const output = form.output.trim()
  return {
    args: {
      folder: file,
      ...(displayName ? { displayName } : {}),
      ...(sized ? { inputSize: form.inputSize } : {}),
      scale: form.scale,
      offset: form.offset,
      ...(form.mean ? { mean: form.mean } : {}),
      ...(form.std ? { std: form.std } : {}),
      ...(output ? { output } : {}),
      ...(form.layout ? { layout: form.layout } : {})
    },
    problems: []
  }
}

/** "then (x − mean) / std per channel: R 0.485 / 0.229, ...": the per-channel step in words. */
export function describeNormalisation(mean: readonly number[] | null, std: readonly number[] | null): string | null {
  if (!mean && !std) return null
  const m = mean ?? [0, 0, 0]
  const d = std ?? [1, 1, 1]
  return `then (x − mean) / std per channel: ${['R', 'G', 'B'].map((c, i) => `${c} ${num(m[i]!)} / ${num(d[i]!)}`).join(', ')}`
}

/** up to 6 significant digits, with a real minus sign */
const num = (v: number): string => String(Number(v.toPrecision(6))).replace('-', '−')

/** "x / 127.5 − 1: pixels 0–255 become −1 to 1": the rule in the words the form explains. */
export function describePreprocessing(scale: number, offset: number): string {
  if (!Number.isFinite(scale) || !Number.isFinite(offset) || scale <= 0) return 'needs a scale above 0 and an offset'
  const divisor = Math.round(10 / scale) / 10
  const times = scale === 1 ? 'x' : divisor > 1 && Math.abs(1 / scale - divisor) < 1e-6 ? `x / ${num(divisor)}` : `x × ${num(scale)}`
  const plus = offset === 0 ? '' : offset > 0 ? ` + ${num(offset)}` : ` − ${num(-offset)}`
  return `${times}${plus}: pixels 0–255 become ${num(offset)} to ${num(255 * scale + offset)}`
}

/** What to do about a refused import, beyond the studio's own message (which names the file). */
export function importErrorHint(code: string | undefined): string | null {
  switch (code) {
    case 'BACKBONE_NOT_LAYERS_MODEL':
      return 'Thaw imports TF.js Layers models: a folder with model.json (its modelTopology is a Keras model) and the weight files it lists. A Keras model converts with tensorflowjs_converter --input_format keras --output_format tfjs_layers_model.'
    case 'BACKBONE_BAD_FOLDER':
      return 'Choose the folder that holds model.json and every weight file named in it.'
    case 'BACKBONE_BAD_LAYER':
      return 'Name a layer whose output is a feature map (height × width × channels), or leave the feature layer empty.'
    case 'BACKBONE_CHECKSUM':
      return 'A weight file does not match what model.json lists: copy the folder again.'
    case 'BACKBONE_NOT_ONNX':
      return 'Give one .onnx file holding the whole network (torch.onnx.export, tf2onnx); files with external weight data are not supported.'
    case 'BACKBONE_NO_IMAGE_INPUT':
      return 'A backbone takes one float32 image batch: [batch, 3, height, width] (NCHW) or [batch, height, width, 3] (NHWC). If the channels could be on either side, pick the layout.'
    case 'BACKBONE_DYNAMIC_SHAPE':
      return 'Give the image size the network was trained at under Input size.'
    case 'BACKBONE_SEVERAL_OUTPUTS':
      return 'Name the output that is the feature (a [batch, channels] vector or a feature map) under Output.'
    case 'FILE_TOO_LARGE':
      return 'ONNX files of up to 2 GB can be imported (larger ones keep their weights in external data files, which are not supported).'
    default:
      return null
  }
}
