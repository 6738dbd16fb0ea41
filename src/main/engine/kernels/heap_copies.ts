import type { TensorInfo } from '@tensorflow/tfjs'
import { dim, sizeOf, type WasmOps } from './wasm_ops'

/*
 * Data movement done as memmoves (copyWithin) inside the wasm heap. wasm's
 * Slice kernel first copies its whole input out of the heap (readSync), and
 * its Concat / Reverse / GatherV2 / StridedSlice go element by element or
 * through JS arrays; cutting many small windows out of one activation that
 * way cost more than all the convolutions of a gradient together.
 */

type Shape4 = [number, number, number, number]

/** out[n, r, c, :] = x[n, rowStart + r, colStart + c, :], zero outside x. */
export function copyWindow(ops: WasmOps, x: TensorInfo, rowStart: number, rows: number, colStart: number, cols: number): TensorInfo {
  const [n, height, width, depth] = x.shape as Shape4
  const inside = rowStart >= 0 && colStart >= 0 && rowStart + rows <= height && colStart + cols <= width
  const out = ops.allocate([n, rows, cols, depth], !inside)
  const heap = ops.heap(out)
  const [from, to] = [heap.start(x), heap.start(out)]
  const [firstCol, endCol] = [Math.max(0, colStart), Math.min(width, colStart + cols)]
  if (endCol <= firstCol) return out
  const run = (endCol - firstCol) * depth
  for (let b = 0; b < n; b++) {
    for (let r = Math.max(0, -rowStart); r < Math.min(rows, height - rowStart); r++) {
      const source = from + ((b * height + rowStart + r) * width + firstCol) * depth
      heap.floats.copyWithin(to + ((b * rows + r) * cols + firstCol - colStart) * depth, source, source + run)
    }
  }
  return out
}

/**
 * The same window with the batch folded into the channels:
 * out[0, r, c, b*depth + k] = x[b, rowStart + r, colStart + c, k], zero outside x.
 * Lets one depthwise conv treat every image of the batch as its own channels.
 */
export function foldedWindow(ops: WasmOps, x: TensorInfo, rowStart: number, rows: number, colStart: number, cols: number): TensorInfo {
  const [n, height, width, depth] = x.shape as Shape4
  if (n === 1) return copyWindow(ops, x, rowStart, rows, colStart, cols)
  const inside = rowStart >= 0 && colStart >= 0 && rowStart + rows <= height && colStart + cols <= width
  const out = ops.allocate([1, rows, cols, n * depth], !inside)
  const heap = ops.heap(out)
  const [from, to] = [heap.start(x), heap.start(out)]
  for (let r = Math.max(0, -rowStart); r < Math.min(rows, height - rowStart); r++) {
    for (let c = Math.max(0, -colStart); c < Math.min(cols, width - colStart); c++) {
      const pixel = (rowStart + r) * width + colStart + c
      const target = to + (r * cols + c) * n * depth
      for (let b = 0; b < n; b++) {
        const source = from + (b * height * width + pixel) * depth
        heap.floats.copyWithin(target + b * depth, source, source + depth)
      }
    }
  }
  return out
}

/**
 * A [rowTaps, colTaps, ...] filter of the taps filter[rowTaps[i], colTaps[j]]
 * (zero where an index is -1): flips, subsamples and zero-pads filters.
 */
export function gatherTaps(ops: WasmOps, filter: TensorInfo, rowTaps: readonly number[], colTaps: readonly number[]): TensorInfo {
  const width = dim(filter, 1)
  const tapSize = sizeOf(filter) / (dim(filter, 0) * width)
  const out = ops.allocate([rowTaps.length, colTaps.length, ...filter.shape.slice(2)])
  const heap = ops.heap(out)
  const [from, to] = [heap.start(filter), heap.start(out)]
  rowTaps.forEach((row, i) =>
    colTaps.forEach((col, j) => {
      const target = to + (i * colTaps.length + j) * tapSize
      if (row < 0 || col < 0) heap.floats.fill(0, target, target + tapSize)
      else heap.floats.copyWithin(target, from + (row * width + col) * tapSize, from + (row * width + col + 1) * tapSize)
    })
  )
  return out
}

/**
 * target[n, rowFirst + i*rowStep, colFirst + j*colStep, :] = part[n, i, j, :].
 * Interleaves the phases of a strided transposed conv into a tensor from
 * `ops.allocate` that no one else has seen yet.
 */
export function scatterStrided(
  ops: WasmOps,
  target: TensorInfo,
  part: TensorInfo,
  [rowFirst, rowStep]: readonly [number, number],
  [colFirst, colStep]: readonly [number, number]
): void {
  const [n, height, width, depth] = target.shape as Shape4
  const [, rows, cols] = part.shape as Shape4
  const heap = ops.heap(target)
  const [from, to] = [heap.start(part), heap.start(target)]
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < rows; i++) {
      const targetRow = to + (b * height + rowFirst + i * rowStep) * width * depth
      const sourceRow = from + (b * rows + i) * cols * depth
      if (colStep === 1) {
        heap.floats.copyWithin(targetRow + colFirst * depth, sourceRow, sourceRow + cols * depth)
        continue
      }
      for (let j = 0; j < cols; j++) {
        const source = sourceRow + j * depth
        heap.floats.copyWithin(targetRow + (colFirst + j * colStep) * depth, source, source + depth)
      }
    }
  }
}
