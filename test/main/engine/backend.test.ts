import * as tf from '@tensorflow/tfjs'
import { afterEach, describe, expect, it } from 'vitest'
import { BackendUnavailableError, initBackend, type NativePackage } from '../../../src/main/engine/backend'

const notInstalled = (pkg: string): Error => Object.assign(new Error(`Cannot find module '${pkg}'`), { code: 'ERR_MODULE_NOT_FOUND' })

/** Plays a machine where a native package is installed: importing it registers a 'tensorflow'
 * backend (here the cpu backend under that name) that reports whether it runs on a GPU. */
function fakeNative(available: NativePackage[], gpu: boolean): { importNative: (pkg: NativePackage) => Promise<unknown>; imported: NativePackage[] } {
  const imported: NativePackage[] = []
  return {
    imported,
    importNative: async (pkg) => {
      imported.push(pkg)
      if (!available.includes(pkg)) throw notInstalled(pkg)
      const cpu = tf.findBackendFactory('cpu') as () => tf.KernelBackend
      if (!tf.findBackendFactory('tensorflow')) tf.registerBackend('tensorflow', () => Object.assign(cpu(), { isUsingGpuDevice: gpu }))
      return {}
    }
  }
}

afterEach(() => {
  if (tf.findBackendFactory('tensorflow')) tf.removeBackend('tensorflow')
})

describe('initBackend', () => {
  it('falls back to wasm here, where neither native package is installed, and registers the training kernels', async () => {
    const info = await initBackend('auto')
    expect(info).toMatchObject({ name: 'wasm', gpu: false })
    expect(info.detail).toMatch(/^wasm \((no )?SIMD, \d+ threads?\)$/)
    expect(tf.getBackend()).toBe('wasm')
    for (const kernel of ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput']) {
      expect(tf.getKernel(kernel, 'wasm'), kernel).toBeDefined()
    }
  })

  it('is idempotent: the same preference gives the same answer without starting again', async () => {
    const first = await initBackend('wasm')
    const [second, third] = await Promise.all([initBackend('wasm'), initBackend('wasm')])
    expect(second).toBe(first)
    expect(third).toBe(first)
  })

  it('switches when asked for another backend, and back', async () => {
    expect(await initBackend('cpu')).toMatchObject({ name: 'cpu', gpu: false })
    expect(tf.getBackend()).toBe('cpu')
    expect((await initBackend('wasm')).name).toBe('wasm')
    expect(tf.getBackend()).toBe('wasm')
  })

  it('names what is missing when the native backend is requested but not installed', async () => {
    const run = initBackend('tensorflow')
    await expect(run).rejects.toBeInstanceOf(BackendUnavailableError)
    await expect(run).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' })
    await expect(run).rejects.toThrow(/@tensorflow\/tfjs-node-gpu is not installed; @tensorflow\/tfjs-node is not installed/)
    expect(tf.getBackend()).toBe('wasm')
  })

  it('prefers tfjs-node-gpu when it sees a GPU', async () => {
    const native = fakeNative(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'], true)
    expect(await initBackend('auto', native)).toEqual({ name: 'tensorflow', detail: 'tfjs-node-gpu (CUDA)', gpu: true })
    expect(native.imported).toEqual(['@tensorflow/tfjs-node-gpu'])
    expect(tf.getBackend()).toBe('tensorflow')
  })

  it('uses tfjs-node when only it is installed', async () => {
    const native = fakeNative(['@tensorflow/tfjs-node'], false)
    expect(await initBackend('auto', native)).toEqual({ name: 'tensorflow', detail: 'tfjs-node', gpu: false })
    expect(native.imported).toEqual(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'])
  })

  it('says when tfjs-node-gpu finds no GPU and runs natively on the CPU', async () => {
    const info = await initBackend('tensorflow', fakeNative(['@tensorflow/tfjs-node-gpu'], false))
    expect(info).toEqual({ name: 'tensorflow', detail: 'tfjs-node-gpu (no GPU found: native CPU)', gpu: false })
  })

  it('reports a native package that is installed but broken, not just "missing"', async () => {
    const broken = async (pkg: NativePackage): Promise<unknown> => {
      if (pkg === '@tensorflow/tfjs-node') throw new Error('libtensorflow.so.2: cannot open shared object file')
      throw notInstalled(pkg)
    }
    await expect(initBackend('tensorflow', { importNative: broken })).rejects.toThrow(/@tensorflow\/tfjs-node failed to load: libtensorflow\.so\.2/)
    expect((await initBackend('auto', { importNative: broken })).name).toBe('wasm')
  })
})
