// `thaw import-backbone`: a TF.js Layers model folder (thawable), or an .onnx file (a frozen
// feature extractor run by ONNX Runtime). Flags become the importBackbone command's arguments;
// the studio checks the model itself and refuses with the flag that would settle a doubt.
import type { Command } from 'commander'
import { ThawError } from '../errors'
import { isPixelPreset, PIXEL_PRESET_NAMES, PIXEL_PRESETS } from '../../shared/pixelPresets'
import type { CommandArgs } from '../../shared/contract'
import { withStudio } from './session'

type Flags = Record<string, string | boolean | undefined>

function number(flag: string, value: string): number {
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n)) throw new ThawError('BAD_ARGS', `${flag} must be a number, not "${value}"`)
  return n
}

function triple(flag: string, value: string): [number, number, number] {
  const parts = value.split(',')
  if (parts.length !== 3) throw new ThawError('BAD_ARGS', `${flag} takes three numbers, one per channel (R,G,B), e.g. 0.485,0.456,0.406; not "${value}"`)
  return parts.map((p) => number(flag, p)) as [number, number, number]
}

function oneOf<T extends string>(flag: string, value: string, options: readonly T[]): T {
  if ((options as readonly string[]).includes(value)) return value as T
  throw new ThawError('BAD_ARGS', `${flag} must be one of ${options.join(', ')}, not "${value}"`)
}

/** The pixel rule: a preset, or --scale/--offset (with --mean/--std), never both. */
function pixels(o: Flags): Partial<CommandArgs<'importBackbone'>> {
  const given = (k: string) => typeof o[k] === 'string'
  if (given('preprocessing')) {
    if (given('scale') || given('offset') || given('mean') || given('std')) {
      throw new ThawError('BAD_ARGS', '--preprocessing names the whole rule: leave out --scale, --offset, --mean and --std (or use those instead of it)')
    }
    const name = o.preprocessing as string
    if (!isPixelPreset(name)) throw new ThawError('BAD_ARGS', `--preprocessing must be one of ${PIXEL_PRESET_NAMES.join(', ')}, not "${name}"`)
    const p = PIXEL_PRESETS[name]
    return { scale: p.scale, offset: p.offset, ...(p.mean ? { mean: p.mean } : {}), ...(p.std ? { std: p.std } : {}) }
  }
  if (!given('scale')) {
    if (given('offset') || given('mean') || given('std')) throw new ThawError('BAD_ARGS', '--offset, --mean and --std go with --scale')
    return {}
  }
  const scale = number('--scale', o.scale as string)
  if (scale <= 0) throw new ThawError('BAD_ARGS', `--scale must be above 0, not ${scale}`)
  const std = given('std') ? triple('--std', o.std as string) : undefined
  if (std && std.some((v) => v <= 0)) throw new ThawError('BAD_ARGS', `--std must be three numbers above 0, not ${o.std as string}`)
  return {
    scale,
    offset: given('offset') ? number('--offset', o.offset as string) : 0,
    ...(given('mean') ? { mean: triple('--mean', o.mean as string) } : {}),
    ...(std ? { std } : {})
  }
}

export function importBackboneArgs(target: string, o: Flags): CommandArgs<'importBackbone'> {
  const size = typeof o.inputSize === 'string' ? number('--input-size', o.inputSize) : undefined
  if (size !== undefined && !(Number.isInteger(size) && size >= 16 && size <= 2048)) {
    throw new ThawError('BAD_ARGS', `--input-size must be a whole number of pixels from 16 to 2048, not ${o.inputSize as string}`)
  }
  return {
    folder: target,
    ...(o.id ? { id: o.id as string } : {}),
    ...(o.name ? { displayName: o.name as string } : {}),
    ...(size !== undefined ? { inputSize: size } : {}),
    ...(o.featureLayer ? { featureLayer: o.featureLayer as string } : {}),
    ...pixels(o),
    ...(typeof o.resize === 'string' ? { resize: oneOf('--resize', o.resize, ['squash', 'center-crop'] as const) } : {}),
    ...(typeof o.channels === 'string' ? { channels: oneOf('--channels', o.channels, ['RGB', 'BGR'] as const) } : {}),
    ...(typeof o.layout === 'string' ? { layout: oneOf('--layout', o.layout.toUpperCase(), ['NCHW', 'NHWC'] as const) } : {}),
    ...(typeof o.output === 'string' ? { output: o.output } : {})
  }
}

export function registerImportBackbone(program: Command): void {
  program
    .command('import-backbone')
    .description('register a TF.js Layers model folder (model.json + weight files), or an .onnx file as a frozen feature extractor, as a backbone')
    .argument('<model>', 'folder holding model.json, or an .onnx file')
    .option('--id <id>', 'id to use (default: from the name and the weights)')
    .option('--name <name>', 'display name')
    .option('--input-size <n>', 'input size in pixels (square), when the model does not fix it')
    .option('--feature-layer <layer>', 'TF.js: the layer whose output feeds the head (default: the last 4D layer before pooling)')
    .option('--preprocessing <rule>', `pixel rule: ${PIXEL_PRESET_NAMES.join(' | ')} (ONNX files need this or --scale)`)
    .option('--scale <x>', 'input = pixel * scale + offset (TF.js default 1/127.5 with offset -1)')
    .option('--offset <x>', 'preprocessing offset (default 0 with --scale)')
    .option('--mean <r,g,b>', 'ONNX: per-channel mean subtracted after the scaling')
    .option('--std <r,g,b>', 'ONNX: per-channel std divided by after the mean')
    .option('--resize <rule>', 'squash | center-crop (default center-crop)')
    .option('--channels <order>', 'RGB | BGR (default RGB)')
    .option('--layout <layout>', 'ONNX: NCHW | NHWC, when the input shape does not say')
    .option('--output <name>', 'ONNX: the output that is the feature, when several could be')
    .option('--json', 'print one JSON object')
    .action((target: string, o: Flags) =>
      withStudio({ json: !!o.json }, async ({ api, out }) => {
        const b = await api.importBackbone(importBackboneArgs(target, o))
        out.result(b, () =>
          [
            `imported backbone ${b.id} (${b.inputSize}px, feature ${b.sourceKind === 'onnx' ? 'output' : 'layer'} ${b.featureLayer}, ${b.params} parameters)`,
            ...(b.frozenOnly ? [`frozen: ${b.frozenOnly}`] : [])
          ].join('\n')
        )
      })
    )
}
