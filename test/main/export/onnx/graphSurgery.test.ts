// Whole-graph operations on a user's ONNX file (renaming, pruning, finding external data) and the
// lossless reader they rely on, checked by running the results in onnxruntime.
import Long from 'long'
import * as ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { externalTensors, pruneGraph, renameGraph } from '../../../../src/main/export/onnx/graphSurgery'
import { readModel, writeModel, type LModel, type LNode } from '../../../../src/main/export/onnx/lossless'
import { AttributeType, DataType, encodeModel, type GraphMessage, type ValueInfo } from '../../../../src/main/export/onnx/onnxProto'

const info = (name: string, dims: number[], elemType: number = DataType.FLOAT): ValueInfo => ({
  name,
  type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } }
})
const node = (opType: string, input: string[], output: string[], attribute: LNode['attribute'] = []): LNode => ({ name: output[0]!, opType, input, output, attribute })
const floats = (name: string, values: number[]) => ({ name, dims: [values.length], dataType: DataType.FLOAT, rawData: new Uint8Array(Float32Array.from(values).buffer) })

/** x [2] -> If(flag) { then: x * w (w from the outer scope); else: -x } -> y; and a second output z = x + w. */
function branchy(): Uint8Array {
  const thenBranch: GraphMessage = { name: 'then', node: [node('Mul', ['x', 'w'], ['t'])] as never, initializer: [], input: [], output: [info('t', [2])] }
  const elseBranch: GraphMessage = { name: 'else', node: [node('Neg', ['x'], ['e'])] as never, initializer: [], input: [], output: [info('e', [2])] }
  const graph = {
    name: 'branchy',
    node: [
      node('If', ['flag'], ['y'], [
        { name: 'then_branch', type: 5, g: thenBranch },
        { name: 'else_branch', type: 5, g: elseBranch }
      ] as never),
      node('Add', ['x', 'w'], ['z'])
    ],
    initializer: [floats('w', [2, 3]), { name: 'flag', dims: [], dataType: 9 /* BOOL */, rawData: new Uint8Array([1]) }],
    input: [info('x', [2])],
    output: [info('y', [2]), info('z', [2])]
  }
  return encodeModel({ irVersion: 7, opsetImport: [{ domain: '', version: 13 }], producerName: 'test', graph } as never)
}

async function run(bytes: Uint8Array, feeds: Record<string, number[]>): Promise<Record<string, number[]>> {
  const s = await ort.InferenceSession.create(bytes)
  try {
    const out = await s.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', Float32Array.from(v), [v.length])])))
    return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, Array.from(t.data as Float32Array)]))
  } finally {
    await s.release()
  }
}

describe('renameGraph', () => {
  it("renames every name, inside subgraphs too, and the graph still runs (a subgraph's outer references follow)", async () => {
    const m = readModel(branchy())
    renameGraph(m.graph!, (n) => `p/${n}`)
    const names = [...m.graph!.node.flatMap((n) => [...n.input, ...n.output, n.name]), ...m.graph!.initializer.map((t) => t.name)]
    for (const n of names) expect(n).toMatch(/^p\//)
    const inner = m.graph!.node[0]!.attribute![0]!.g!
    expect(inner.node[0]!.input).toEqual(['p/x', 'p/w'])
    expect(await run(writeModel(m), { 'p/x': [1, 2] })).toEqual({ 'p/y': [2, 6], 'p/z': [3, 5] })
  })

  it('leaves an omitted optional input empty', () => {
    const m = readModel(branchy())
    m.graph!.node[1]!.input = ['x', '', 'w']
    renameGraph(m.graph!, (n) => `p/${n}`)
    expect(m.graph!.node[1]!.input).toEqual(['p/x', '', 'p/w'])
  })
})

describe('pruneGraph', () => {
  it('keeps only what one output needs (the weight an If branch reads from outside included)', async () => {
    const y = readModel(branchy())
    pruneGraph(y.graph!, ['y'])
    expect(y.graph!.node.map((n) => n.opType)).toEqual(['If'])
    expect(y.graph!.initializer.map((t) => t.name).sort()).toEqual(['flag', 'w'])
    expect(await run(writeModel(y), { x: [1, 2] })).toEqual({ y: [2, 6] })

    const z = readModel(branchy())
    pruneGraph(z.graph!, ['z'])
    expect(z.graph!.node.map((n) => n.opType)).toEqual(['Add'])
    expect(z.graph!.initializer.map((t) => t.name)).toEqual(['w'])
    expect(z.graph!.output.map((v) => v.name)).toEqual(['z'])
  })
})

describe('the lossless reader', () => {
  it('writes back what it read: int64 beyond 2^53 and fields of later IR versions', () => {
    const m = readModel(branchy())
    const big = Long.fromString('9223372036854775807')
    m.graph!.node[1]!.attribute = [{ name: 'big', type: AttributeType.INT, i: big } as never]
    // a field ModelProto gains after IR 8 (number 99, bytes): carried through byte for byte
    const unknown = Uint8Array.from([0x9a, 0x06, 3, 0x61, 0x62, 0x63]) // tag (99 << 3) | 2 as a varint, length 3, "abc"
    const bytes = new Uint8Array([...writeModel(m), ...unknown])
    const again = writeModel(readModel(bytes))
    expect(Buffer.from(again).includes(Buffer.from(unknown))).toBe(true)
    const attr = readModel(again).graph!.node[1]!.attribute![0]!
    expect(String(attr['i' as never])).toBe('9223372036854775807')
  })
})

describe('externalTensors', () => {
  it('names initializers and constants whose values live in other files', () => {
    const m: LModel = readModel(branchy())
    expect(externalTensors(m)).toEqual([])
    m.graph!.initializer[0]!.dataLocation = 1
    m.graph!.initializer[0]!.externalData = [{ key: 'location', value: 'weights.bin' }]
    m.graph!.node[0]!.attribute![0]!.g!.node.push(node('Constant', [], ['c'], [{ name: 'value', type: 4, t: { name: 'k', externalData: [{ key: 'location', value: 'k.bin' }] } }]))
    expect(externalTensors(m)).toEqual(['w', 'k'])
  })
})
