import { getKernel, util } from '@tensorflow/tfjs'
import type { DataId, DataType, NamedAttrMap, NamedTensorInfoMap, TensorInfo, TypedArray } from '@tensorflow/tfjs'

export const WASM = 'wasm'

/**
 * What we need from BackendWasm (tfjs types kernel backends as `{}`): the same
 * three methods wasm's own JS kernels (Slice, Concat) are written with.
 */
interface HeapBackend {
  disposeData(dataId: DataId, force?: boolean): boolean
  makeOutput(shape: number[], dtype: DataType): TensorInfo
  typedArrayFromHeap(info: TensorInfo): TypedArray
}

function isHeapBackend(backend: unknown): backend is HeapBackend {
  if (typeof backend !== 'object' || backend === null) return false
  const candidate = backend as Partial<HeapBackend>
  return (
    typeof candidate.disposeData === 'function' &&
    typeof candidate.makeOutput === 'function' &&
    typeof candidate.typedArrayFromHeap === 'function'
  )
}

/**
 * Calls wasm kernels directly (not through the engine), so nothing is recorded
 * on a gradient tape, op-level asserts that the kernels do not need (such as
 * "strides or dilations must be 1") are skipped, and no engine Tensor is made.
 * Every TensorInfo a call returns is owned by this object and holds exactly one
 * reference on its data, so `finish` can free all but the result.
 */
export class WasmOps {
  private readonly owned: TensorInfo[] = []

  constructor(readonly backend: HeapBackend) {}

  run(kernelName: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo {
    const kernel = getKernel(kernelName, WASM)
    if (kernel === undefined) {
      throw new Error(`Thaw kernels need '${kernelName}' on the wasm backend, which is not registered.`)
    }
    const out = kernel.kernelFunc({ inputs, attrs, backend: this.backend })
    if (Array.isArray(out)) {
      throw new Error(`Thaw kernels expected one output from '${kernelName}'.`)
    }
    this.owned.push(out)
    return out
  }

  /**
   * A float32 tensor that the caller fills through `heap()` before anyone
   * else sees it (the copies in heap_copies.ts).
   */
  allocate(shape: number[], zeroed = false): TensorInfo {
    const out = this.backend.makeOutput(shape, 'float32')
    this.owned.push(out)
    if (zeroed) this.backend.typedArrayFromHeap(out).fill(0)
    return out
  }

  /**
   * The whole wasm heap as floats (found through any tensor in it). Fetch it
   * after the last `allocate`: growing the heap detaches older views.
   */
  heap(anchor: TensorInfo): HeapView {
    const floats = new Float32Array(this.backend.typedArrayFromHeap(anchor).buffer)
    return { floats, start: (info) => this.backend.typedArrayFromHeap(info).byteOffset / Float32Array.BYTES_PER_ELEMENT }
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape })
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm })
  }

  pad(x: TensorInfo, paddings: number[][]): TensorInfo {
    return this.run('PadV2', { x }, { paddings, constantValue: 0 })
  }

  /** Row-major matrix product a[m,k] x b[k,n]; the only layout wasm runs through XNNPACK. */
  matMul(a: TensorInfo, b: TensorInfo): TensorInfo {
    return this.run('BatchMatMul', { a, b }, { transposeA: false, transposeB: false })
  }

  conv2d(x: TensorInfo, filter: TensorInfo, conv: WindowAttrs): TensorInfo {
    return this.run(
      'Conv2D',
      { x, filter },
      { strides: [...conv.strides], dilations: [...conv.dilations], pad: explicitPad(conv), dataFormat: 'NHWC' }
    )
  }

  depthwiseConv2d(x: TensorInfo, filter: TensorInfo, conv: WindowAttrs): TensorInfo {
    return this.run(
      'DepthwiseConv2dNative',
      { x, filter },
      { strides: [...conv.strides], dilations: [...conv.dilations], pad: explicitPad(conv), dataFormat: 'NHWC' }
    )
  }

  zeros(shape: number[]): TensorInfo {
    return this.run('Fill', {}, { shape, value: 0, dtype: 'float32' })
  }

  sum(x: TensorInfo, axis: number[]): TensorInfo {
    return this.run('Sum', { x }, { axis, keepDims: false })
  }

  addN(tensors: TensorInfo[]): TensorInfo {
    if (tensors.length === 1) return this.reshape(tensors[0]!, tensors[0]!.shape)
    return this.runOnList('AddN', tensors)
  }

  /** AddN reads its inputs as an array (the engine passes them through as-is). */
  private runOnList(kernelName: string, tensors: TensorInfo[], attrs: NamedAttrMap = {}): TensorInfo {
    return this.run(kernelName, tensors as unknown as NamedTensorInfoMap, attrs)
  }

  /** Takes ownership of a tensor made by a kernel called outside `run`. */
  adopt(info: TensorInfo): TensorInfo {
    this.owned.push(info)
    return info
  }

  /** Frees every intermediate and hands over `result`, which must come from this object. */
  finish(result: TensorInfo): TensorInfo {
    const index = this.owned.indexOf(result)
    if (index < 0) throw new Error('Thaw kernels must return a tensor they created.')
    this.owned.splice(index, 1)
    this.disposeAll()
    return result
  }

  disposeAll(): void {
    for (const info of this.owned.splice(0)) this.backend.disposeData(info.dataId)
  }
}

/** Float offsets of tensors in the wasm heap, for memmove-style copies (copyWithin) between them. */
export interface HeapView {
  floats: Float32Array
  start(info: TensorInfo): number
}

/** Stride, dilation and explicit zero padding (never negative) of a windowed op. */
export interface WindowAttrs {
  strides: readonly [number, number]
  dilations: readonly [number, number]
  padTop: number
  padBottom: number
  padLeft: number
  padRight: number
}

function explicitPad(conv: WindowAttrs): number[][] {
  return [[0, 0], [conv.padTop, conv.padBottom], [conv.padLeft, conv.padRight], [0, 0]]
}

export function dim(x: TensorInfo, axis: number): number {
  const size = x.shape[axis]
  if (size === undefined) throw new Error(`Tensor of shape [${x.shape}] has no axis ${axis}.`)
  return size
}

export function sizeOf(x: TensorInfo): number {
  return util.sizeFromShape(x.shape)
}

/** Runs `body` with a fresh WasmOps; on error every intermediate is freed before rethrowing. */
export function withWasmOps(backend: unknown, body: (ops: WasmOps) => TensorInfo): TensorInfo {
  if (!isHeapBackend(backend)) throw new Error('Thaw kernels were called with a backend that is not wasm.')
  const ops = new WasmOps(backend)
  try {
    return ops.finish(body(ops))
  } catch (error) {
    ops.disposeAll()
    throw error
  }
}
