// The frozen forward on ONNX Runtime: converted by the studio's converter, checked against TF.js
// on its first batch, cached on disk, and falling back to TF.js (with the reason) when it cannot
// convert, cannot start, or disagrees. Providers are chosen per machine; tests play machines with
// a GPU by handing in the machine and the session factory, as the backend tests do.
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import fs from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { CHECK_TOLERANCE, FrozenForward, type FrozenSettings } from '../../../../src/main/engine/onnx/frozen'
import { gpuProvider, providerAttempts, type ProviderMachine } from '../../../../src/main/engine/onnx/providers'
import { SegmentCache } from '../../../../src/main/engine/onnx/segmentCache'
import { createOrtSession, startSession, type CreateSession } from '../../../../src/main/engine/onnx/session'
import { mulberry32 } from '../../../../src/main/util/random'
import { tempDir } from '../../../helpers/tmp'

beforeAll(async () => {
  await tf.setBackend('wasm')
  await tf.ready()
})

const settings = (over: Partial<FrozenSettings> = {}): FrozenSettings => ({ runtime: 'auto', provider: 'cpu', threads: 1, ...over })
const key = (cut: string) => ({ digest: 'a'.repeat(64), cut, opset: 13 })

function convNet(seed = 1): tf.LayersModel {
  const input = tf.input({ shape: [12, 12, 3] })
  let x = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed }), biasInitializer: 'ones' }).apply(input) as tf.SymbolicTensor
  x = tf.layers.reLU({ maxValue: 6 }).apply(x) as tf.SymbolicTensor
  x = tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', depthwiseInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }).apply(x) as tf.SymbolicTensor
  return tf.model({ inputs: input, outputs: x })
}

function batch(n: number, seed = 7): { data: Float32Array; shape: number[] } {
  const rand = mulberry32(seed)
  const data = new Float32Array(n * 12 * 12 * 3).map(() => rand() * 2 - 1)
  return { data, shape: [n, 12, 12, 3] }
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!))
  return m
}

const reference = (model: tf.LayersModel, x: { data: Float32Array; shape: number[] }) =>
  tf.tidy(() => (model.predict(tf.tensor(x.data, x.shape)) as tf.Tensor).dataSync() as Float32Array)

describe('FrozenForward', () => {
  it('runs on ONNX Runtime after its check, equal to TF.js within the tolerance, and caches file and verdict', async () => {
    const model = convNet()
    const cache = new SegmentCache(tempDir())
    const f = new FrozenForward(model, key('conv'), settings(), { cache })
    const x = batch(6)
    const out = await f.run(x.data, x.shape)
    expect(f.status()).toMatchObject({ runtime: 'onnx', provider: { name: 'cpu' }, reason: null })
    expect(f.status()!.check).toMatchObject({ ok: true, images: 4 })
    expect(f.status()!.check!.relDiff).toBeLessThanOrEqual(CHECK_TOLERANCE)
    expect(out.shape).toEqual([6, 6, 6, 8])
    expect(maxDiff(out.data, reference(model, x))).toBeLessThan(1e-4)
    // later batches reuse the session
    const y = batch(3, 9)
    expect(maxDiff((await f.run(y.data, y.shape)).data, reference(model, y))).toBeLessThan(1e-4)
    expect(fs.existsSync(cache.modelPath(key('conv')))).toBe(true)
    expect(await cache.readCheck(key('conv'), 'cpu')).toMatchObject({ ok: true })
    await f.release()

    // another worker reads the converted file and the verdict instead of redoing them
    let created = 0
    const counting: CreateSession = (bytes, opts) => {
      created++
      return createOrtSession(bytes, opts)
    }
    const again = new FrozenForward(model, key('conv'), settings(), { cache, create: counting })
    await again.run(x.data, x.shape)
    expect(created).toBe(1)
    expect(again.status()!.check).toEqual(f.status()!.check)
    await again.release()
    model.dispose()
  })

  it('falls back to TF.js, saying why, when the converter lacks a layer; refuses under --runtime onnx', async () => {
    const input = tf.input({ shape: [12, 12, 3] })
    const up = tf.layers.upSampling2d({ size: [2, 2] }).apply(input) as tf.SymbolicTensor
    const model = tf.model({ inputs: input, outputs: up })
    const x = batch(2)
    const auto = new FrozenForward(model, key('up'), settings(), { cache: null })
    const out = await auto.run(x.data, x.shape)
    expect(auto.status()).toMatchObject({ runtime: 'tfjs', provider: null })
    expect(auto.status()!.reason).toMatch(/converter cannot translate it.*UpSampling2D/)
    expect(maxDiff(out.data, reference(model, x))).toBe(0)

    const forced = new FrozenForward(model, key('up'), settings({ runtime: 'onnx' }), { cache: null })
    await expect(forced.run(x.data, x.shape)).rejects.toThrow(/cannot run on ONNX Runtime \(runtime setting onnx\).*UpSampling2D/)
    model.dispose()
  })

  it('falls back to TF.js when ONNX Runtime disagrees with it, and remembers the verdict', async () => {
    const model = convNet(3)
    const cache = new SegmentCache(tempDir())
    const wrong: CreateSession = async (bytes, opts) => {
      const real = await createOrtSession(bytes, opts)
      return { ...real, run: async (d, s) => {
        const out = await real.run(d, s)
        return { data: out.data.map((v) => v * 1.01), dims: out.dims }
      } }
    }
    const x = batch(4)
    const f = new FrozenForward(model, key('wrong'), settings(), { cache, create: wrong })
    const out = await f.run(x.data, x.shape)
    expect(f.status()!.runtime).toBe('tfjs')
    expect(f.status()!.reason).toMatch(/disagree on 4 images.*relative, over the 0.001 allowed/)
    expect(maxDiff(out.data, reference(model, x))).toBe(0)
    expect(await cache.readCheck(key('wrong'), 'cpu')).toMatchObject({ ok: false })
    model.dispose()
  })

  it('under auto, keeps TF.js on a GPU rather than ONNX Runtime on the CPU; a GPU provider wins', async () => {
    const model = convNet()
    const x = batch(2)
    const f = new FrozenForward(model, key('gpu'), settings({ provider: 'auto', tfjsOnGpu: true }), { cache: null, machine: { platform: 'linux', cudaInstalled: () => false, cores: 2 } })
    await f.run(x.data, x.shape)
    expect(f.status()).toMatchObject({ runtime: 'tfjs' })
    expect(f.status()!.reason).toMatch(/TF.js runs on the GPU and ONNX Runtime would run on the CPU \(the CUDA 12 provider/)
    // a machine whose CUDA provider starts (played by a CPU session under its name)
    const cuda: CreateSession = (bytes, opts) => createOrtSession(bytes, { ...opts, provider: 'cpu' })
    const g = new FrozenForward(model, key('gpu'), settings({ provider: 'auto', tfjsOnGpu: true }), { cache: null, create: cuda, machine: { platform: 'linux', cudaInstalled: () => true, cores: 2 } })
    await g.run(x.data, x.shape)
    expect(g.status()).toMatchObject({ runtime: 'onnx', provider: { name: 'cuda', gpu: true } })
    await g.release()
    model.dispose()
  })

  it('runs TF.js alone when the setting says tfjs, and leaves ONNX Runtime unloaded', async () => {
    const model = convNet()
    let created = 0
    const f = new FrozenForward(model, key('tfjs'), settings({ runtime: 'tfjs' }), { cache: null, create: async () => { created++; throw new Error('not expected') } })
    const x = batch(2)
    await f.run(x.data, x.shape)
    expect(f.status()).toMatchObject({ runtime: 'tfjs', reason: 'the runtime setting is tfjs' })
    expect(created).toBe(0)
    model.dispose()
  })
})

describe('execution providers', () => {
  const linux = (cuda: boolean): ProviderMachine => ({ platform: 'linux', cudaInstalled: () => cuda, cores: 2 })
  const machine = (platform: NodeJS.Platform): ProviderMachine => ({ platform, cudaInstalled: () => false, cores: 8 })

  it('names the GPU provider per platform, and why there is none', () => {
    expect(gpuProvider(linux(true))).toEqual({ name: 'cuda' })
    expect(gpuProvider(linux(false))).toMatchObject({ why: expect.stringMatching(/CUDA 12 provider .* is not installed/) })
    expect(gpuProvider(machine('win32'))).toEqual({ name: 'dml' })
    expect(gpuProvider(machine('darwin'))).toEqual({ name: 'coreml' })
    expect(gpuProvider(machine('freebsd'))).toMatchObject({ why: expect.stringMatching(/no GPU provider for freebsd/) })
    expect(providerAttempts('cpu', machine('win32'))).toEqual({ order: ['cpu'], skipped: null })
    expect(providerAttempts('auto', machine('win32')).order).toEqual(['dml', 'cpu'])
    expect(providerAttempts('gpu', linux(false)).order).toEqual(['cpu'])
  })

  const bytes = new Uint8Array([1])
  const fake = (fails: string[]): { create: CreateSession; tried: string[] } => {
    const tried: string[] = []
    return {
      tried,
      create: async (_b, opts) => {
        tried.push(opts.provider)
        if (fails.includes(opts.provider)) throw new Error(`${opts.provider}: no device found\nstack`)
        return { inputNames: ['in'], outputNames: ['out'], run: async (d) => ({ data: d, dims: [d.length] }), release: async () => undefined }
      }
    }
  }

  it('uses the GPU provider of a machine that has one', async () => {
    const f = fake([])
    const { provider } = await startSession(bytes, 'auto', 2, { create: f.create, machine: linux(true) })
    expect(f.tried).toEqual(['cuda'])
    expect(provider).toMatchObject({ name: 'cuda', gpu: true, detail: 'CUDA (GPU)', fallbackReason: null })
  })

  it('falls back to CPU with the reason when the GPU provider fails to start', async () => {
    const f = fake(['dml'])
    const { provider } = await startSession(bytes, 'gpu', 4, { create: f.create, machine: machine('win32') })
    expect(f.tried).toEqual(['dml', 'cpu'])
    expect(provider).toMatchObject({ name: 'cpu', gpu: false, detail: 'CPU, 4 threads', fallbackReason: 'the dml provider failed to start: dml: no device found' })
  })

  it('asked for a GPU where none is installed, runs on CPU and says why', async () => {
    const f = fake([])
    const { provider } = await startSession(bytes, 'gpu', 1, { create: f.create, machine: linux(false) })
    expect(f.tried).toEqual(['cpu'])
    expect(provider.fallbackReason).toMatch(/CUDA 12 provider/)
  })

  it('never tries a GPU under the cpu setting', async () => {
    const f = fake([])
    const { provider } = await startSession(bytes, 'cpu', 1, { create: f.create, machine: linux(true) })
    expect(f.tried).toEqual(['cpu'])
    expect(provider).toMatchObject({ name: 'cpu', fallbackReason: null })
  })
})
