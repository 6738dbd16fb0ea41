// Accumulates ONNX nodes and initializers with unique names, and keeps track of which memory
// layout each value is in so that Transposes are inserted only where a consumer needs them.
import { AttributeType, DataType, type AttributeMessage, type NodeMessage, type TensorMessage } from './onnxProto'

/** Keras shape: batch first, channels last, null where unknown. */
export type Shape = (number | null)[]

/**
 * 'keras': the tensor is laid out as its Keras shape says (NHWC for images).
 * 'nchw': a rank-4 Keras tensor [N,H,W,C] held physically as [N,C,H,W], the layout ONNX Conv and
 * pooling want. Keeping this per value lets a chain of convs stay in NCHW with no Transposes between.
 */
export type Layout = 'keras' | 'nchw'

export interface Value {
  name: string
  shape: Shape
  layout: Layout
}

export type Attr =
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'float'; value: number }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'string'; value: string }

export const attr = {
  int: (value: number): Attr => ({ kind: 'int', value }),
  ints: (value: readonly number[]): Attr => ({ kind: 'ints', value }),
  float: (value: number): Attr => ({ kind: 'float', value }),
  floats: (value: readonly number[]): Attr => ({ kind: 'floats', value }),
  string: (value: string): Attr => ({ kind: 'string', value })
}

const TO_NCHW = [0, 3, 1, 2]
const TO_NHWC = [0, 2, 3, 1]

/** Where Keras axis `axis` of a rank-`rank` value sits physically. */
export function physicalAxis(axis: number, rank: number, layout: Layout): number {
  const a = axis < 0 ? axis + rank : axis
  if (a < 0 || a >= rank) throw new RangeError(`axis ${axis} is out of range for rank ${rank}`)
  return layout === 'nchw' ? (TO_NHWC[a] as number) : a
}

function toAttribute(name: string, a: Attr): AttributeMessage {
  switch (a.kind) {
    case 'int':
      return { name, type: AttributeType.INT, i: a.value }
    case 'ints':
      return { name, type: AttributeType.INTS, ints: [...a.value] }
    case 'float':
      return { name, type: AttributeType.FLOAT, f: a.value }
    case 'floats':
      return { name, type: AttributeType.FLOATS, floats: [...a.value] }
    case 'string':
      return { name, type: AttributeType.STRING, s: new TextEncoder().encode(a.value) }
  }
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/** ONNX raw_data is little-endian whatever the host; copy so later tfjs frees cannot touch it. */
function float32Bytes(data: Float32Array): Uint8Array {
  if (littleEndian) return new Uint8Array(data.slice().buffer)
  const out = new DataView(new ArrayBuffer(data.length * 4))
  data.forEach((v, i) => out.setFloat32(i * 4, v, true))
  return new Uint8Array(out.buffer)
}

function int64Bytes(values: readonly number[]): Uint8Array {
  const out = new DataView(new ArrayBuffer(values.length * 8))
  values.forEach((v, i) => out.setBigInt64(i * 8, BigInt(v), true))
  return new Uint8Array(out.buffer)
}

export class GraphBuilder {
  readonly nodes: NodeMessage[] = []
  readonly initializers: TensorMessage[] = []
  private readonly names = new Set<string>()
  private readonly constants = new Map<string, string>()
  private readonly transposed = new Map<string, string>()

  /** Claims `name` exactly (graph inputs/outputs); throws if it is taken. */
  reserve(name: string): string {
    if (this.names.has(name)) throw new Error(`internal: ONNX name ${name} is used twice`)
    this.names.add(name)
    return name
  }

  unique(base: string): string {
    let name = base
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`
    this.names.add(name)
    return name
  }

  /** Adds one node and returns its single output name (`output`, or a fresh `${scope}/${op}`). */
  node(op: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, scope = op, output?: string, domain?: string): string {
    const out = output ?? this.unique(`${scope}/${op}`)
    this.nodes.push({
      name: out, // node names are a namespace apart from value names, so the output's is free
      opType: op,
      ...(domain ? { domain } : {}),
      input: [...inputs],
      output: [out],
      attribute: Object.entries(attrs).map(([k, a]) => toAttribute(k, a))
    })
    return out
  }

  /** A float32 initializer. A name already added is returned as is: a layer applied twice
   * (shared weights, a nested model called twice) gets one copy of its weights. */
  floatTensor(name: string, dims: readonly number[], data: Float32Array): string {
    const cached = this.constants.get(`w:${name}`)
    if (cached !== undefined) return cached
    checkSize(name, dims, data.length)
    const unique = this.unique(name)
    this.initializers.push({ name: unique, dims: [...dims], dataType: DataType.FLOAT, rawData: float32Bytes(data) })
    this.constants.set(`w:${name}`, unique)
    return unique
  }

  /** A float32 scalar (rank 0), shared by every node that needs the same value. */
  floatScalar(value: number): string {
    const key = `f:${Math.fround(value)}`
    const cached = this.constants.get(key)
    if (cached !== undefined) return cached
    const name = this.unique(`const/float_${Math.fround(value)}`)
    this.initializers.push({ name, dims: [], dataType: DataType.FLOAT, rawData: float32Bytes(Float32Array.of(value)) })
    this.constants.set(key, name)
    return name
  }

  /** A 1-D int64 constant (shapes, pads, permutations), shared by value. */
  int64Vector(values: readonly number[]): string {
    const key = `i:${values.join(',')}`
    const cached = this.constants.get(key)
    if (cached !== undefined) return cached
    const name = this.unique(`const/int64_${values.join('_').replace(/-/g, 'm')}`)
    this.initializers.push({ name, dims: [values.length], dataType: DataType.INT64, rawData: int64Bytes(values) })
    this.constants.set(key, name)
    return name
  }

  /** The name of `value` in `layout`, adding (once per value) the Transpose that gets it there. */
  inLayout(value: Value, layout: Layout): string {
    if (value.layout === layout) return value.name
    if (value.shape.length !== 4) throw new Error(`internal: only rank-4 values change layout, ${value.name} has rank ${value.shape.length}`)
    const key = `${value.name}|${layout}`
    const cached = this.transposed.get(key)
    if (cached !== undefined) return cached
    const perm = layout === 'nchw' ? TO_NCHW : TO_NHWC
    const out = this.node('Transpose', [value.name], { perm: attr.ints(perm) }, `${value.name}/to_${layout}`)
    this.transposed.set(key, out)
    return out
  }
}

function checkSize(name: string, dims: readonly number[], length: number): void {
  const size = dims.reduce((a, b) => a * b, 1)
  if (size !== length) throw new Error(`internal: initializer ${name} has ${length} values for dims [${dims.join(', ')}]`)
}

/** Reorders a row-major tensor of `shape` by `perm` (numpy.transpose semantics). */
export function permute(data: Float32Array, shape: readonly number[], perm: readonly number[]): { data: Float32Array; shape: number[] } {
  const rank = shape.length
  const outShape = perm.map((p) => shape[p] as number)
  const inStrides = new Array<number>(rank).fill(1)
  for (let i = rank - 2; i >= 0; i--) inStrides[i] = (inStrides[i + 1] as number) * (shape[i + 1] as number)
  // Stride in the input for a unit step along each output axis.
  const step = perm.map((p) => inStrides[p] as number)
  const out = new Float32Array(data.length)
  const index = new Array<number>(rank).fill(0)
  let src = 0
  for (let dst = 0; dst < out.length; dst++) {
    out[dst] = data[src] as number
    // Odometer increment over the output index, moving `src` along with it.
    for (let axis = rank - 1; axis >= 0; axis--) {
      const next = (index[axis] as number) + 1
      if (next < (outShape[axis] as number)) {
        index[axis] = next
        src += step[axis] as number
        break
      }
      src -= (step[axis] as number) * (next - 1)
      index[axis] = 0
    }
  }
  return { data: out, shape: outShape }
}
