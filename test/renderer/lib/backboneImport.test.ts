import { describe, expect, it } from 'vitest'
import {
  backboneImportArgs,
  DEFAULT_OFFSET,
  DEFAULT_SCALE,
  describeNormalisation,
  describePreprocessing,
  emptyImportForm,
  importErrorHint,
  ONNX_PIXEL_PRESETS,
  PIXEL_PRESETS
} from '../../../src/renderer/src/lib/backboneImport'
import { commands } from '../../../src/shared/contract'

const form = (patch: Partial<ReturnType<typeof emptyImportForm>> = {}) => ({ ...emptyImportForm(), folder: '/models/tiny', ...patch })

describe('backboneImportArgs', () => {
  it('sends only the folder when everything else is left as it comes (the studio decides the rest)', () => {
    expect(backboneImportArgs(form({ folder: '  /models/tiny ' }))).toEqual({ args: { folder: '/models/tiny' }, problems: [] })
  })

  it('sends what was filled in, trimmed, and arguments the contract accepts', () => {
    const { args } = backboneImportArgs(form({ displayName: ' Tiny net ', inputSize: 96, featureLayer: ' top_relu ' }))
    expect(args).toEqual({ folder: '/models/tiny', displayName: 'Tiny net', inputSize: 96, featureLayer: 'top_relu' })
    expect(commands.importBackbone.args.safeParse(args).success).toBe(true)
  })

  it('sends preprocessing only when it differs from the default, and then always scale and offset together', () => {
    expect(backboneImportArgs(form({ scale: 1 / 127.5, offset: -1 })).args).toEqual({ folder: '/models/tiny' })
    // the studio reads a missing offset as 0: an offset alone would be lost without the scale
    expect(backboneImportArgs(form({ offset: 0 })).args).toEqual({ folder: '/models/tiny', scale: DEFAULT_SCALE, offset: 0 })
    expect(backboneImportArgs(form({ scale: 1 / 255, offset: 0 })).args).toMatchObject({ scale: 1 / 255, offset: 0 })
  })

  it('says plainly what is missing or wrong, and sends nothing then', () => {
    expect(backboneImportArgs(form({ folder: ' ' }))).toEqual({ args: null, problems: ['Choose the folder that holds model.json'] })
    expect(backboneImportArgs(form({ inputSize: 8 })).problems).toEqual([expect.stringMatching(/16 to 2048/)])
    expect(backboneImportArgs(form({ inputSize: 100.5 })).problems).toHaveLength(1)
    expect(backboneImportArgs(form({ scale: 0 })).problems).toEqual(['The scale is a number above 0'])
    expect(backboneImportArgs(form({ scale: NaN, offset: NaN })).problems).toHaveLength(2)
    expect(backboneImportArgs(form({ displayName: 'x'.repeat(201) })).problems).toHaveLength(1)
  })
})

describe('describePreprocessing', () => {
  it('explains the default and each preset as a rule and the range it gives', () => {
    expect(describePreprocessing(DEFAULT_SCALE, DEFAULT_OFFSET)).toBe('x / 127.5 − 1: pixels 0–255 become −1 to 1')
    expect(PIXEL_PRESETS.map((p) => describePreprocessing(p.scale, p.offset))).toEqual([
      'x / 127.5 − 1: pixels 0–255 become −1 to 1',
      'x / 255: pixels 0–255 become 0 to 1',
      'x: pixels 0–255 become 0 to 255'
    ])
    expect(describePreprocessing(0.017, 0.5)).toBe('x × 0.017 + 0.5: pixels 0–255 become 0.5 to 4.835')
    expect(describePreprocessing(0, 1)).toMatch(/needs a scale above 0/)
  })
})

describe('importErrorHint', () => {
  it('adds what to do for the refusals a folder can get, nothing for others', () => {
    expect(importErrorHint('BACKBONE_NOT_LAYERS_MODEL')).toMatch(/TF\.js Layers models/)
    expect(importErrorHint('BACKBONE_BAD_FOLDER')).toMatch(/model\.json/)
    expect(importErrorHint('BACKBONE_BAD_LAYER')).toMatch(/feature map/)
    expect(importErrorHint('DISCONNECTED')).toBeNull()
    expect(importErrorHint(undefined)).toBeNull()
  })
})

describe('backboneImportArgs for an ONNX file', () => {
  const onnx = (patch: Partial<ReturnType<typeof emptyImportForm>> = {}) => ({ ...emptyImportForm('onnx'), folder: '/models/resnet50.onnx', ...patch })

  it('always sends the pixel rule (the file does not record it), with mean and std from a preset', () => {
    const imagenet = ONNX_PIXEL_PRESETS.find((p) => p.name === 'ImageNet')!
    const { args } = backboneImportArgs(onnx({ scale: imagenet.scale, offset: imagenet.offset, mean: imagenet.mean!, std: imagenet.std!, output: ' pooled ', layout: 'NCHW' }))
    expect(args).toEqual({ folder: '/models/resnet50.onnx', scale: 1 / 255, offset: 0, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], output: 'pooled', layout: 'NCHW' })
    expect(commands.importBackbone.args.safeParse(args).success).toBe(true)
    expect(backboneImportArgs(onnx()).args).toEqual({ folder: '/models/resnet50.onnx', scale: DEFAULT_SCALE, offset: DEFAULT_OFFSET })
  })

  it('says what is wrong: not an .onnx path, a bad std; and keeps mean and std off folder imports', () => {
    expect(backboneImportArgs(onnx({ folder: '/models/tfjs' })).problems).toEqual(['An ONNX backbone is one .onnx file: give its path'])
    expect(backboneImportArgs(onnx({ std: [0.2, 0, 0.2] })).problems).toEqual(['The std is three numbers above 0, one per channel'])
    expect(backboneImportArgs(form({ mean: [0.5, 0.5, 0.5] })).problems).toEqual(['Per-channel mean and std are for ONNX files only'])
  })

  it('words the per-channel step and the ONNX refusals', () => {
    expect(describeNormalisation([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])).toBe('then (x − mean) / std per channel: R 0.485 / 0.229, G 0.456 / 0.224, B 0.406 / 0.225')
    expect(describeNormalisation(null, null)).toBeNull()
    for (const code of ['BACKBONE_NOT_ONNX', 'BACKBONE_NO_IMAGE_INPUT', 'BACKBONE_DYNAMIC_SHAPE', 'BACKBONE_SEVERAL_OUTPUTS']) expect(importErrorHint(code)).toEqual(expect.any(String))
  })
})
