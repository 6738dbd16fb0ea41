// The thread boundary as lint rules (eslint.config.mjs): the main thread never imports TF.js or
// onnxruntime, and loads sharp only lazily. Linted as if the snippet were a file at that path.
import path from 'node:path'
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

const root = path.resolve(__dirname, '../..')
const eslint = new ESLint({ cwd: root })

async function ruleIds(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) })
  return result!.messages.map((m) => m.ruleId ?? m.message)
}

describe('thread boundary lint rules', () => {
  it.each(['src/main/studio/handlers/x.ts', 'src/main/cli/x.ts', 'src/main/server/x.ts', 'src/main/electron/x.ts', 'src/main/index.ts'])(
    'refuses TF.js and onnxruntime in %s, statically or lazily',
    async (file) => {
      expect(await ruleIds(file, "import * as tf from '@tensorflow/tfjs'\nexport const n = tf.memory()\n")).toContain('@typescript-eslint/no-restricted-imports')
      expect(await ruleIds(file, "export { setBackend } from '@tensorflow/tfjs-backend-wasm'\n")).toContain('@typescript-eslint/no-restricted-imports')
      expect(await ruleIds(file, "import * as ort from 'onnxruntime-node'\nexport const e = ort.env\n")).toContain('@typescript-eslint/no-restricted-imports')
      expect(await ruleIds(file, "export const load = () => import('onnxruntime-node')\n")).toContain('no-restricted-syntax')
      expect(await ruleIds(file, "export const load = () => import('@tensorflow/tfjs')\n")).toContain('no-restricted-syntax')
    }
  )

  it('refuses a static sharp import on the main thread but allows the lazy one and types', async () => {
    const file = 'src/main/library/x.ts'
    expect(await ruleIds(file, "import sharp from 'sharp'\nexport const s = sharp\n")).toContain('@typescript-eslint/no-restricted-imports')
    expect(await ruleIds(file, "export const load = async () => (await import('sharp')).default\n")).toEqual([])
    expect(await ruleIds(file, "import type { Sharp } from 'sharp'\nexport type S = Sharp\n")).toEqual([])
    expect(await ruleIds('src/main/dataset/x.ts', "import { loadSharp } from './sharp'\nexport const l = loadSharp\n")).toEqual([])
    expect(await ruleIds(file, "import type * as tf from '@tensorflow/tfjs'\nexport type T = tf.Tensor\n")).toEqual([])
  })

  it('lets the engine workers import TF.js', async () => {
    expect(await ruleIds('src/main/engine/x.ts', "import * as tf from '@tensorflow/tfjs'\nexport const n = tf.memory()\n")).toEqual([])
    expect(await ruleIds('src/main/training/x.ts', "import * as tf from '@tensorflow/tfjs'\nexport const n = tf.memory()\n")).toEqual([])
  })
})

describe('onnxruntime-node in the engine workers', () => {
  it('is loaded lazily, through loadOnnxRuntime()', async () => {
    expect(await ruleIds('src/main/export/x.ts', "import * as ort from 'onnxruntime-node'\nexport const e = ort.env\n")).toContain('@typescript-eslint/no-restricted-imports')
    expect(await ruleIds('src/main/export/x.ts', "import type * as Ort from 'onnxruntime-node'\nexport type S = Ort.InferenceSession\n")).toEqual([])
    expect(await ruleIds('src/main/engine/onnxruntime.ts', "export const load = () => import('onnxruntime-node')\n")).toEqual([])
  })
})
