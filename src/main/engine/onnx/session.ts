// ONNX Runtime sessions for the engine workers. onnxruntime-node is imported on first use only,
// so a worker that never runs a frozen forward on it never loads its native library.
import { loadOnnxRuntime } from '../onnxruntime'
import { describeProvider, providerAttempts, thisMachine, type ProviderChoice, type ProviderMachine, type ProviderName, type ProviderPreference } from './providers'

/** The part of an ort.InferenceSession the studio uses (tests hand in fakes). */
export interface OrtSession {
  readonly inputNames: readonly string[]
  readonly outputNames: readonly string[]
  run(input: Float32Array, shape: number[]): Promise<{ data: Float32Array; dims: number[] }>
  release(): Promise<void>
}

export interface SessionOptions {
  provider: ProviderName
  threads: number
  /** the graph input to feed and the output to read, for files with several (an imported
   * backbone); without them the file must have one of each */
  names?: { input: string; output: string }
}

export type CreateSession = (bytes: Uint8Array, opts: SessionOptions) => Promise<OrtSession>

export const createOrtSession: CreateSession = async (bytes, opts) => {
  const ort = await loadOnnxRuntime()
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: opts.provider === 'cpu' ? ['cpu'] : [opts.provider, 'cpu'],
    intraOpNumThreads: opts.threads,
    // the segments are chains: inter-op parallelism has nothing to overlap
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // idle ORT threads must not spin on cores that sharp is decoding on
    extra: { session: { intra_op: { allow_spinning: '0' } } }
  })
  const input = opts.names ? opts.names.input : session.inputNames[0]
  const output = opts.names ? opts.names.output : session.outputNames[0]
  const named = opts.names && session.inputNames.includes(opts.names.input) && session.outputNames.includes(opts.names.output)
  if (opts.names && !named) {
    await session.release()
    throw new Error(`the ONNX file has no input ${opts.names.input} or no output ${opts.names.output} (inputs ${session.inputNames.join(', ')}; outputs ${session.outputNames.join(', ')})`)
  }
  if (!named && (session.inputNames.length !== 1 || session.outputNames.length !== 1 || !input || !output)) {
    await session.release()
    throw new Error(`the ONNX segment has ${session.inputNames.length} inputs and ${session.outputNames.length} outputs; one of each is needed`)
  }
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(data, shape) {
      const result = await session.run({ [input!]: new ort.Tensor('float32', data, shape) }, [output!])
      const out = result[output!]
      if (!out || !(out.data instanceof Float32Array)) throw new Error('the ONNX segment did not return float32 values')
      const values = out.data
      const dims = [...out.dims]
      out.dispose()
      return { data: values, dims }
    },
    release: () => session.release()
  }
}

/** Starts a session on the first provider of the preference that starts; a GPU provider that
 * fails falls back to CPU, with its reason in the choice. */
export async function startSession(
  bytes: Uint8Array,
  pref: ProviderPreference,
  threads: number,
  deps: { create?: CreateSession; machine?: ProviderMachine; names?: SessionOptions['names'] } = {}
): Promise<{ session: OrtSession; provider: ProviderChoice }> {
  const create = deps.create ?? createOrtSession
  const { order, skipped } = providerAttempts(pref, deps.machine ?? thisMachine)
  const reasons: string[] = skipped ? [skipped] : []
  for (const name of order) {
    try {
      const session = await create(bytes, { provider: name, threads, ...(deps.names ? { names: deps.names } : {}) })
      return { session, provider: describeProvider(name, threads, reasons.length ? reasons.join('; ') : null) }
    } catch (err) {
      if (name === 'cpu') throw err
      reasons.push(`the ${name} provider failed to start: ${(err as Error).message.split('\n')[0]}`)
    }
  }
  throw new Error('no ONNX Runtime provider to try')
}
