// Which ONNX Runtime execution provider runs a frozen segment. onnxruntime-node ships CPU on
// every platform, DirectML on Windows and CoreML on macOS inside its npm package; the CUDA 12
// provider on Linux is a separate download (its install script fetches it unless
// ONNXRUNTIME_NODE_INSTALL=skip), so it is looked for on disk. A provider that fails to start
// falls back to CPU, and the reason is kept to show.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export type ProviderPreference = 'auto' | 'cpu' | 'gpu'
/** onnxruntime-node's names for the providers the studio uses */
export type ProviderName = 'cpu' | 'cuda' | 'dml' | 'coreml'

export interface ProviderChoice {
  name: ProviderName
  /** for people: e.g. 'CPU, 2 threads', 'CUDA (GPU)' */
  detail: string
  gpu: boolean
  /** why the GPU provider is not the one running, when one was wanted or looked for */
  fallbackReason: string | null
}

/** What the choice needs to know about the machine; tests replace it to play one with a GPU. */
export interface ProviderMachine {
  platform: NodeJS.Platform
  /** whether onnxruntime-node's CUDA provider library is installed beside its binding */
  cudaInstalled(): boolean
  cores: number
}

/** Where onnxruntime-node keeps its native files for this platform. */
function ortBinDir(): string | null {
  try {
    const pkg = path.dirname(require.resolve('onnxruntime-node/package.json'))
    return path.join(pkg, 'bin', 'napi-v6', process.platform, process.arch)
  } catch {
    return null
  }
}

export const thisMachine: ProviderMachine = {
  platform: process.platform,
  cudaInstalled: () => {
    const dir = ortBinDir()
    return !!dir && fs.existsSync(path.join(dir, 'libonnxruntime_providers_cuda.so'))
  },
  cores: os.availableParallelism()
}

export const GPU_PROVIDER: Partial<Record<NodeJS.Platform, ProviderName>> = { linux: 'cuda', win32: 'dml', darwin: 'coreml' }
const LABEL: Record<ProviderName, string> = { cpu: 'CPU', cuda: 'CUDA (GPU)', dml: 'DirectML (GPU)', coreml: 'CoreML' }

/** The GPU provider to try on this machine, or why there is none. */
export function gpuProvider(machine: ProviderMachine): { name: ProviderName } | { why: string } {
  const name = GPU_PROVIDER[machine.platform]
  if (!name) return { why: `ONNX Runtime has no GPU provider for ${machine.platform} in onnxruntime-node` }
  if (name === 'cuda' && !machine.cudaInstalled()) {
    return { why: 'the CUDA 12 provider of onnxruntime-node is not installed (reinstall onnxruntime-node without ONNXRUNTIME_NODE_INSTALL=skip, with CUDA 12 and cuDNN 9 present)' }
  }
  return { name }
}

/** The order providers are tried in for a preference: a GPU first where one is wanted and
 * present, CPU always last (it cannot fail to exist). */
export function providerAttempts(pref: ProviderPreference, machine: ProviderMachine): { order: ProviderName[]; skipped: string | null } {
  if (pref === 'cpu') return { order: ['cpu'], skipped: null }
  const gpu = gpuProvider(machine)
  if ('why' in gpu) return { order: ['cpu'], skipped: gpu.why }
  return { order: [gpu.name, 'cpu'], skipped: null }
}

export function describeProvider(name: ProviderName, threads: number, fallbackReason: string | null): ProviderChoice {
  const gpu = name !== 'cpu'
  return { name, gpu, detail: gpu ? LABEL[name] : `CPU, ${threads} thread${threads === 1 ? '' : 's'}`, fallbackReason }
}
