// Which TF.js backend runs the studio's tensors. Native TensorFlow (tfjs-node-gpu / tfjs-node) is
// the fast path on users' machines but downloads libtensorflow at install time, so both are
// optional and looked for at run time; wasm (XNNPACK) always works; cpu is the last resort.
import * as tf from '@tensorflow/tfjs'
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm'
import { registerWasmTrainingKernels } from './kernels/index'

export type BackendName = 'tensorflow' | 'wasm' | 'cpu'
export type BackendPreference = 'auto' | BackendName

export interface BackendInfo {
  name: BackendName
  /** for people: e.g. 'tfjs-node-gpu (CUDA)', 'tfjs-node', 'wasm (SIMD, 1 thread)' */
  detail: string
  gpu: boolean
}

export type NativePackage = '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node'

export interface InitBackendOptions {
  /** How a native package is imported; tests replace it to play a machine that has one. */
  importNative?: (pkg: NativePackage) => Promise<unknown>
}

export class BackendUnavailableError extends Error {
  readonly code = 'BACKEND_UNAVAILABLE'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'BackendUnavailableError'
  }
}

const NATIVE_BACKEND = 'tensorflow'

/** Only what is read from tfjs-node's backend object; its typings are not installed here. */
interface NativeBackendFlags {
  isUsingGpuDevice?: boolean
}

const defaultImportNative = (pkg: NativePackage): Promise<unknown> =>
  pkg === '@tensorflow/tfjs-node-gpu' ? import('@tensorflow/tfjs-node-gpu') : import('@tensorflow/tfjs-node')

type NativeAttempt = { ok: true } | { ok: false; why: string }

// A native package can be imported once per process, and loading it is what registers the
// 'tensorflow' backend: remember each attempt rather than retrying a failed native load.
const nativeAttempts = new Map<NativePackage, Promise<NativeAttempt>>()

function tryNative(pkg: NativePackage, importNative: InitBackendOptions['importNative']): Promise<NativeAttempt> {
  const attempt = async (): Promise<NativeAttempt> => {
    try {
      await (importNative ?? defaultImportNative)(pkg)
    } catch (err) {
      const code = (err as { code?: string }).code
      const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
      return { ok: false, why: missing ? `${pkg} is not installed` : `${pkg} failed to load: ${(err as Error).message}` }
    }
    if (!tf.findBackend(NATIVE_BACKEND) && !tf.findBackendFactory(NATIVE_BACKEND)) {
      return { ok: false, why: `${pkg} loaded but registered no '${NATIVE_BACKEND}' backend with this @tensorflow/tfjs (a version mismatch?)` }
    }
    return { ok: true }
  }
  if (importNative) return attempt()
  const known = nativeAttempts.get(pkg)
  if (known) return known
  const fresh = attempt()
  nativeAttempts.set(pkg, fresh)
  return fresh
}

async function activate(name: BackendName): Promise<boolean> {
  try {
    return await tf.setBackend(name)
  } catch {
    return false
  }
}

async function useNative(pkg: NativePackage, options: InitBackendOptions): Promise<BackendInfo | string> {
  const attempt = await tryNative(pkg, options.importNative)
  if (!attempt.ok) return attempt.why
  if (!(await activate(NATIVE_BACKEND))) return `${pkg} is installed but its '${NATIVE_BACKEND}' backend failed to start`
  const gpu = (tf.backend() as unknown as NativeBackendFlags).isUsingGpuDevice === true
  if (pkg === '@tensorflow/tfjs-node') return { name: NATIVE_BACKEND, detail: 'tfjs-node', gpu: false }
  // Without a GPU, tfjs-node-gpu runs TensorFlow's native CPU kernels, like tfjs-node; loading
  // tfjs-node as well would register a second native library in the same process.
  return { name: NATIVE_BACKEND, detail: gpu ? 'tfjs-node-gpu (CUDA)' : 'tfjs-node-gpu (no GPU found: native CPU)', gpu }
}

async function useWasm(): Promise<BackendInfo | string> {
  registerWasmTrainingKernels()
  if (!(await activate('wasm'))) return 'the wasm backend failed to start (its .wasm files could not be loaded)'
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true
  const threads = getThreadsCount()
  return { name: 'wasm', detail: `wasm (${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'})`, gpu: false }
}

async function useCpu(): Promise<BackendInfo | string> {
  if (!(await activate('cpu'))) return 'the cpu backend failed to start'
  return { name: 'cpu', detail: 'cpu (pure JavaScript, slow)', gpu: false }
}

async function choose(preference: BackendPreference, options: InitBackendOptions): Promise<BackendInfo> {
  const reasons: string[] = []
  const attempts: Record<BackendPreference, (() => Promise<BackendInfo | string>)[]> = {
    auto: [() => useNative('@tensorflow/tfjs-node-gpu', options), () => useNative('@tensorflow/tfjs-node', options), useWasm, useCpu],
    tensorflow: [() => useNative('@tensorflow/tfjs-node-gpu', options), () => useNative('@tensorflow/tfjs-node', options)],
    wasm: [useWasm],
    cpu: [useCpu]
  }
  for (const attempt of attempts[preference]) {
    const result = await attempt()
    if (typeof result !== 'string') return result
    reasons.push(result)
  }
  const hint =
    preference === 'tensorflow'
      ? ' Install @tensorflow/tfjs-node-gpu (CUDA) or @tensorflow/tfjs-node, which download libtensorflow at install time, or choose wasm.'
      : ''
  throw new BackendUnavailableError(`the '${preference}' backend is unavailable: ${reasons.join('; ')}.${hint}`)
}

let current: { preference: BackendPreference; options: InitBackendOptions; info: Promise<BackendInfo> } | null = null

/** Selects and initialises the backend. Calling again with the same preference returns the
 * same answer without re-initialising; a different preference switches backends. */
export async function initBackend(preference: BackendPreference = 'auto', options: InitBackendOptions = {}): Promise<BackendInfo> {
  if (current && current.preference === preference && current.options.importNative === options.importNative) {
    const info = await current.info.catch(() => null)
    if (info && tf.getBackend() === info.name) return info
  }
  const info = choose(preference, options)
  current = { preference, options, info }
  return info
}
