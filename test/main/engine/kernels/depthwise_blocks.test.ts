import { describe, expect, it } from 'vitest'
import { planBlocks } from '../../../../src/main/engine/kernels/depthwise_backprop_filter'

// XNNPACK's fast depthwise microkernels: anything else is ~8x slower.
const FAST_TAP_COUNTS = [3, 4, 9, 25]

describe('planBlocks (how the depthwise filter gradient cuts dy into filters)', () => {
  for (let height = 1; height <= 16; height++) {
    for (const width of [1, 2, 3, 4, 5, 7, 8, 13, 14]) {
      it(`covers a ${height}x${width} dy exactly once with fast filter shapes`, () => {
        const hits = Array.from({ length: height * width }, () => 0)
        for (const block of planBlocks(height, width)) {
          expect(FAST_TAP_COUNTS).toContain(block.rows * block.cols)
          for (let r = block.row; r < Math.min(height, block.row + block.rows); r++) {
            for (let c = block.col; c < Math.min(width, block.col + block.cols); c++) hits[r * width + c]! += 1
          }
        }
        expect(hits.every((n) => n === 1)).toBe(true)
      })
    }
  }
})
