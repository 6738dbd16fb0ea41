// Runs in the engine worker. Concat pooling (../../head.ts concatPool: average then max over
// space) of an NCHW feature map as ONNX nodes, with its backward: the average spreads its
// gradient evenly over the map, the max sends its gradient to the FIRST position (row-major over
// space) holding the maximum, as the wasm path's gradient does (engine/kernels/fast_gradients.ts)
// and PyTorch's adaptive max pooling. (TF.js's generic gradient, off wasm, gives it to every
// tied position; ties only arise on clipped activations, whose own gradient is 0 there.)
import { attr, type Attr, type GraphBuilder } from '../../../export/onnx/graph'

export interface ConcatPool {
  /** [N, 2c]: the average of every channel, then its maximum */
  pooled: string
  /** d(loss)/d(map) [N, c, h, w] from d(loss)/d(pooled) [N, 2c] */
  backward(dPooled: string): string
}

export function addConcatPool(g: GraphBuilder, map: string, shape: { c: number; h: number; w: number }): ConcatPool {
  const op = (type: string, inputs: string[], attrs: Record<string, Attr> = {}): string => g.node(type, inputs, attrs, `pool/${type}`)
  const { c, h, w } = shape
  const hw = h * w
  // [N, c, h*w]: Reshape's 0 keeps the (dynamic) batch axis
  const flat = op('Reshape', [map, g.int64Vector([0, c, hw])])
  const avg = op('ReduceMean', [flat], { axes: attr.ints([2]), keepdims: attr.int(0) })
  const max = op('ReduceMax', [flat], { axes: attr.ints([2]), keepdims: attr.int(0) })
  const pooled = op('Concat', [avg, max], { axis: attr.int(1) })
  return {
    pooled,
    backward(dPooled: string): string {
      const dAvg = op('Slice', [dPooled, g.int64Vector([0]), g.int64Vector([c]), g.int64Vector([1])])
      const dMax = op('Slice', [dPooled, g.int64Vector([c]), g.int64Vector([2 * c]), g.int64Vector([1])])
      const spread = op('Expand', [op('Unsqueeze', [op('Div', [dAvg, g.floatScalar(hw)]), g.int64Vector([2])]), op('Shape', [flat])])
      // the first maximum along space (select_last_index 0), where the max's gradient is added
      const at = op('ArgMax', [flat], { axis: attr.int(2), keepdims: attr.int(1), select_last_index: attr.int(0) })
      const routed = op('ScatterElements', [spread, at, op('Unsqueeze', [dMax, g.int64Vector([2])])], { axis: attr.int(2), reduction: attr.string('add') })
      return op('Reshape', [routed, g.int64Vector([0, c, h, w])])
    }
  }
}
