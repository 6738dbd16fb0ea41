// Runs in the engine worker. How every training-side graph (the head's step and inference, the
// thawed segment, the thawing step) becomes an ONNX model: float32 inputs and outputs with a
// dynamic batch axis, opset 17, ONNX Runtime's IR 8.
import type { GraphBuilder } from '../../../export/onnx/graph'
import { DataType, encodeModel, type ValueInfo } from '../../../export/onnx/onnxProto'

/** A float32 graph input or output; 'N' (or a negative size, as SegmentGraph.outputShape writes
 * it) is the dynamic batch axis. */
export const valueInfo = (name: string, dims: readonly (number | 'N')[]): ValueInfo => ({
  name,
  type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => (d === 'N' || d < 0 ? { dimParam: 'N' } : { dimValue: d })) } } }
})

/** The serialized model of the graph built in g. */
export function encodeGraph(g: GraphBuilder, name: string, input: ValueInfo[], output: ValueInfo[]): Uint8Array {
  return encodeModel({
    irVersion: 8,
    // ONNX Runtime's own operator sets (com.microsoft.nchwc: convGradients.ts) at version 1
    opsetImport: [{ domain: '', version: 17 }, ...[...new Set(g.nodes.flatMap((n) => (n.domain ? [n.domain] : [])))].map((domain) => ({ domain, version: 1 }))],
    producerName: 'thaw-studio',
    graph: { name, node: g.nodes, initializer: g.initializers, input, output }
  })
}
