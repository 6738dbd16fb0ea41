import { describe, expect, it } from 'vitest'
import { dropoutMask } from '../../../../../src/main/training/dropout'
import { UpdateArena } from '../../../../../src/main/training/engines/onnx/wasmUpdate'

// the engine's masks (four draws per instruction, in the update arena) against the reference
// the TF.js path draws (dropout.ts), bit for bit
describe('UpdateArena.dropout', () => {
  const bits = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength))

  it('draws dropoutMask values exactly, for every rate, seed and length (SIMD body and 0-3 tail)', () => {
    const shapes: [number, number][] = [
      [32, 2560],
      [33, 512],
      [1, 1],
      [1, 2],
      [3, 3],
      [7, 5],
      [2, 17]
    ]
    const arena = new UpdateArena(shapes.map(([r, w]) => r * w).flatMap((n) => [n, n, n]))
    const outs = shapes.map(([r, w]) => [arena.array(r * w), arena.array(r * w), arena.array(r * w)] as const)
    for (const rate of [0.5, 0.25, 1 / 3, 0.999, 1e-6]) {
      for (const seed of [0, 7, 0xffffffff, -5]) {
        for (const [i, [rows, width]] of shapes.entries()) {
          const out = outs[i]![0]
          arena.dropout(out, rate, seed)
          expect(bits(out)).toEqual(bits(dropoutMask(rows, width, rate, seed)))
        }
      }
    }
  })

  it('leaves the arrays around the one it fills alone', () => {
    const arena = new UpdateArena([8, 6, 8])
    const [before, out, after] = [arena.array(8).fill(7), arena.array(6), arena.array(8).fill(9)]
    arena.dropout(out, 0.5, 3)
    expect(bits(out)).toEqual(bits(dropoutMask(2, 3, 0.5, 3)))
    expect([...before, ...after]).toEqual([...Array<number>(8).fill(7), ...Array<number>(8).fill(9)])
  })

  it('keeps everything at rate 0 and nothing at rate 1, as dropoutMask does', () => {
    const arena = new UpdateArena([10])
    const out = arena.array(10)
    arena.dropout(out, 0, 4)
    expect(bits(out)).toEqual(bits(dropoutMask(2, 5, 0, 4)))
    arena.dropout(out, 1, 4)
    expect(bits(out)).toEqual(bits(dropoutMask(2, 5, 1, 4)))
  })
})
