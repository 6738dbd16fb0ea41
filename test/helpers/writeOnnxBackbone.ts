// `node --import tsx test/helpers/writeOnnxBackbone.ts <dir>`: writes the tests' ONNX backbone
// (MobileNetV2 to its feature layer, NCHW) into <dir> and prints its path, for suites that cannot
// load TF.js themselves (Playwright's). Backbones come from THAW_MODEL_MIRROR (../shared/backbones
// by default), cached in <dir>.
import path from 'node:path'
import { loadBackbone } from '../../src/main/backbones'
import { writeMobileNetV2Onnx } from './onnxBackboneFile'

async function main(): Promise<void> {
  const dir = process.argv[2]
  if (!dir) throw new Error('usage: writeOnnxBackbone.ts <dir>')
  const mirror = process.env.THAW_MODEL_MIRROR ?? path.resolve(__dirname, '../../../shared/backbones')
  const bb = await loadBackbone('mobilenet_v2_1.0_224', { cacheDir: path.join(dir, 'backbone-cache'), mirror })
  process.stdout.write(`${await writeMobileNetV2Onnx(bb, 'NCHW', dir)}\n`)
  bb.model.dispose()
}

void main()
