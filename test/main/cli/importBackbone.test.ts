// The import-backbone flags as the importBackbone command's arguments: presets written out,
// explicit rules parsed, contradictions and malformed values refused with the flag's name.
import { describe, expect, it } from 'vitest'
import { importBackboneArgs } from '../../../src/main/cli/importBackbone'
import { commands } from '../../../src/shared/contract'

describe('import-backbone flags', () => {
  it('turns --preprocessing into the full rule and passes the ONNX flags on', () => {
    const args = importBackboneArgs('m.onnx', { preprocessing: 'imagenet', output: 'pooled', layout: 'nchw', inputSize: '224', name: 'ResNet50' })
    expect(args).toEqual({ folder: 'm.onnx', displayName: 'ResNet50', inputSize: 224, scale: 1 / 255, offset: 0, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], output: 'pooled', layout: 'NCHW' })
    expect(commands.importBackbone.args.safeParse(args).success).toBe(true)
    expect(importBackboneArgs('m.onnx', { preprocessing: 'minus-one-to-one' })).toEqual({ folder: 'm.onnx', scale: 1 / 127.5, offset: -1 })
  })

  it('reads --scale, --offset, --mean and --std', () => {
    expect(importBackboneArgs('m.onnx', { scale: '0.00392156862745098', offset: '0', mean: '0.5,0.5,0.5', std: '0.5,0.5,0.5' })).toMatchObject({ mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] })
    // the old TF.js form still works: --scale with --offset
    expect(importBackboneArgs('folder', { scale: '1', offset: '0' })).toEqual({ folder: 'folder', scale: 1, offset: 0 })
  })

  it('refuses contradictions and malformed values, naming the flag', () => {
    const refused: [Record<string, string>, RegExp][] = [
      [{ preprocessing: 'vgg' }, /--preprocessing must be one of imagenet, clip, minus-one-to-one, zero-to-one, raw/],
      [{ preprocessing: 'imagenet', mean: '1,1,1' }, /--preprocessing names the whole rule/],
      [{ mean: '1,1,1' }, /go with --scale/],
      [{ scale: '1', mean: '1,2' }, /--mean takes three numbers/],
      [{ scale: '1', std: '1,0,1' }, /--std must be three numbers above 0/],
      [{ scale: '-1' }, /--scale must be above 0/],
      [{ scale: 'x' }, /--scale must be a number/],
      [{ layout: 'NCWH' }, /--layout must be one of NCHW, NHWC/],
      [{ inputSize: '7' }, /--input-size must be a whole number of pixels from 16 to 2048/]
    ]
    for (const [flags, message] of refused) expect(() => importBackboneArgs('m.onnx', flags)).toThrow(message)
  })
})
