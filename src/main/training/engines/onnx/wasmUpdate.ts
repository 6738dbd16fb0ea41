// Runs in the engine worker. The AdamW update of the head's weights as one WebAssembly SIMD pass
// (four floats per instruction) over arrays that live in a WebAssembly memory, which ONNX Runtime
// reads the weights from and writes the gradients into without a copy. Measured on this machine
// (bench train: headStep.updatePlacement): several times faster than the same pass in plain
// JavaScript (one double per iteration) and than the update written as ONNX elementwise ops (one
// pass over memory per op, 14 of them). The same module draws the dropout masks into the arena,
// four values per instruction, the very values ../../dropout.ts draws in JavaScript (which took
// ~1.5 ms of a 32-image head step there). The module is hand-assembled below: it is ~300 bytes,
// and a toolchain for it would be a build step for two loops.
import { dropoutDraw } from '../../dropout'

/** The module's one function, adam(w, g, m, v, n, b1, 1-b1, b2, 1-b2, stepSize, invC2, eps, decay):
 * byte offsets of four float32 arrays and their length (a multiple of 4), then the scalars. Per
 * element, as tfjs-core's Adam and decoupled weight decay:
 *   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  w = (w - stepSize m / (sqrt(v invC2) + eps)) decay */
function adamModule(): Uint8Array {
  const get = (i: number) => [0x20, i]
  const set = (i: number) => [0x21, i]
  const simd = (op: number) => (op < 0x80 ? [0xfd, op] : [0xfd, (op & 0x7f) | 0x80, op >> 7])
  const [load, store] = [
    [0xfd, 0x00, 0x02, 0x00],
    [0xfd, 0x0b, 0x02, 0x00]
  ] // v128.load / v128.store, align 4 bytes, offset 0
  const [add, sub, mul, div, sqrt, splat] = [simd(0xe4), simd(0xe5), simd(0xe6), simd(0xe7), simd(0xe3), simd(0x13)] // f32x4.*
  const at = (array: number) => [...get(array), ...get(13), 0x6a] // array + i (i32.add)
  // params 0-3 w g m v, 4 n, 5-12 the scalars; locals 13 i (bytes), 14-21 the scalars splatted, 22 g, 23 m, 24 v
  const body = [
    0x02, 0x01, 0x7f, 0x0b, 0x7b, // locals: 1 i32, 11 v128
    ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap((k) => [...get(5 + k), ...splat, ...set(14 + k)]),
    ...get(4), 0x41, 0x04, 0x6c, ...set(4), // n *= 4 (bytes)
    0x02, 0x40, 0x03, 0x40, // block, loop
    ...get(13), ...get(4), 0x4f, 0x0d, 0x01, // i >= n: break
    ...at(1), ...load, ...set(22),
    ...at(2), ...load, ...get(14), ...mul, ...get(22), ...get(15), ...mul, ...add, ...set(23),
    ...at(2), ...get(23), ...store,
    ...at(3), ...load, ...get(16), ...mul, ...get(22), ...get(22), ...mul, ...get(17), ...mul, ...add, ...set(24),
    ...at(3), ...get(24), ...store,
    ...at(0), ...at(0), ...load, ...get(23), ...get(18), ...mul, ...get(24), ...get(19), ...mul, ...sqrt, ...get(20), ...add, ...div, ...sub, ...get(21), ...mul, ...store,
    ...get(13), 0x41, 0x10, 0x6a, ...set(13), // i += 16
    0x0c, 0x00, 0x0b, 0x0b, 0x0b // br loop, end loop, end block, end
  ]
  // dropout(out, n, state, keepBelow, scaleBits): n (a multiple of 4) float32 values at byte offset
  // `out`, value k (from 0) from mulberry32's draw k + 1: lanes hold state + (k + 1) * 0x6d2b79f5
  // and step by 4 * 0x6d2b79f5 (i32 lanes wrap as JavaScript's `>>> 0` does); then, as mulberry32:
  //   t = imul(t ^ t >>> 15, t | 1);  t ^= t + imul(t ^ t >>> 7, t | 61);  r = t ^ t >>> 14
  // and the value is scale where r < keepBelow (unsigned), else 0.
  const [splat32, and, or, xor, ltU, shrU, add32, mul32] = [simd(0x11), simd(0x4e), simd(0x50), simd(0x51), simd(0x3a), simd(0xad), simd(0xae), simd(0xb5)]
  const C = 0x6d2b79f5
  const lanes = [1, 2, 3, 4].flatMap((k) => {
    const v = Number((BigInt(k) * BigInt(C)) % 2n ** 32n)
    return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24]
  })
  const i32 = (v: number) => [0x41, ...sleb(v | 0)]
  const shifted = (local: number, by: number) => [...get(local), ...get(local), ...i32(by), ...shrU, ...xor] // t ^ t >>> by
  // params 0 out, 1 n, 2 state, 3 keepBelow, 4 scaleBits; locals 5 i (bytes), 6 lanes, 7 their step, 8 keepBelow, 9 scale, 10 t
  const dropoutBody = [
    0x02, 0x01, 0x7f, 0x05, 0x7b, // locals: 1 i32, 5 v128
    ...get(2), ...splat32, ...simd(0x0c), ...lanes, ...add32, ...set(6),
    ...i32(4 * C), ...splat32, ...set(7),
    ...get(3), ...splat32, ...set(8),
    ...get(4), ...splat32, ...set(9),
    ...get(1), 0x41, 0x04, 0x6c, ...set(1), // n *= 4 (bytes)
    0x02, 0x40, 0x03, 0x40, // block, loop
    ...get(5), ...get(1), 0x4f, 0x0d, 0x01, // i >= n: break
    ...shifted(6, 15), ...get(6), ...i32(1), ...splat32, ...or, ...mul32, ...set(10),
    ...get(10), ...get(10), ...shifted(10, 7), ...get(10), ...i32(61), ...splat32, ...or, ...mul32, ...add32, ...xor, ...set(10),
    ...get(0), ...get(5), 0x6a, // the address: out + i
    ...shifted(10, 14), ...get(8), ...ltU, ...get(9), ...and, ...store,
    ...get(6), ...get(7), ...add32, ...set(6),
    ...get(5), 0x41, 0x10, 0x6a, ...set(5), // i += 16
    0x0c, 0x00, 0x0b, 0x0b, 0x0b // br loop, end loop, end block, end
  ]
  const leb = (n: number): number[] => {
    const out: number[] = []
    do {
      let b = n & 0x7f
      n >>>= 7
      if (n) b |= 0x80
      out.push(b)
    } while (n)
    return out
  }
  function sleb(n: number): number[] {
    const out: number[] = []
    for (;;) {
      const b = n & 0x7f
      n >>= 7
      if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) return [...out, b]
      out.push(b | 0x80)
    }
  }
  const section = (id: number, bytes: number[]) => [id, ...leb(bytes.length), ...bytes]
  const name = (s: string) => [s.length, ...Array.from(s, (ch) => ch.charCodeAt(0))]
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    // types: adam (5 x i32, 8 x f32) -> (), dropout (5 x i32) -> ()
    ...section(1, [0x02, 0x60, 13, ...Array<number>(5).fill(0x7f), ...Array<number>(8).fill(0x7d), 0x00, 0x60, 5, ...Array<number>(5).fill(0x7f), 0x00]),
    ...section(2, [0x01, ...name('env'), ...name('memory'), 0x02, 0x00, 0x01]), // imports env.memory
    ...section(3, [0x02, 0x00, 0x01]),
    ...section(7, [0x02, ...name('adam'), 0x00, 0x00, ...name('dropout'), 0x00, 0x01]),
    ...section(10, [0x02, ...leb(body.length), ...body, ...leb(dropoutBody.length), ...dropoutBody])
  ])
}

// the node types this project builds with leave out the WebAssembly globals: the little used here
interface WasmApi {
  Memory: new (d: { initial: number }) => { readonly buffer: ArrayBuffer }
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> }
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly

let compiled: object | null = null

/** Float32 arrays in one WebAssembly memory (16-byte aligned), sized once: the memory never grows,
 * so the arrays stay valid while the arena lives. */
export class UpdateArena {
  private readonly memory: { readonly buffer: ArrayBuffer }
  private readonly adamPass: (...args: number[]) => void
  private readonly dropoutPass: (...args: number[]) => void
  private used = 0

  /** `lengths`: every array the arena will hand out */
  constructor(lengths: readonly number[]) {
    const bytes = lengths.reduce((s, n) => s + Math.ceil(n / 4) * 16, 0)
    this.memory = new wasm.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) })
    compiled ??= new wasm.Module(adamModule())
    const instance = new wasm.Instance(compiled, { env: { memory: this.memory } })
    this.adamPass = instance.exports.adam as (...args: number[]) => void
    this.dropoutPass = instance.exports.dropout as (...args: number[]) => void
  }

  array(length: number): Float32Array {
    const view = new Float32Array(this.memory.buffer, this.used, length)
    this.used += Math.ceil(length / 4) * 16
    if (this.used > this.memory.buffer.byteLength) throw new Error('internal: the update arena is full')
    return view
  }

  /** One AdamW update of `w` from `g` (all four arrays from this arena, of one length). */
  adamw(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, s: { beta1: number; beta2: number; epsilon: number; stepSize: number; invC2: number; decay: number }): void {
    const simd = w.length - (w.length % 4)
    if (simd) this.adamPass(w.byteOffset, g.byteOffset, m.byteOffset, v.byteOffset, simd, s.beta1, 1 - s.beta1, s.beta2, 1 - s.beta2, s.stepSize, s.invC2, s.epsilon, s.decay)
    // the last 0-3 elements, with the same float32 arithmetic
    const f = Math.fround
    for (let i = simd; i < w.length; i++) {
      const mi = f(f(m[i]! * f(s.beta1)) + f(g[i]! * f(1 - s.beta1)))
      const vi = f(f(v[i]! * f(s.beta2)) + f(f(g[i]! * g[i]!) * f(1 - s.beta2)))
      m[i] = mi
      v[i] = vi
      w[i] = f(f(w[i]! - f(f(mi * f(s.stepSize)) / f(f(Math.sqrt(f(vi * f(s.invC2)))) + f(s.epsilon)))) * f(s.decay))
    }
  }

  /** Fills `out` (an array of this arena) with dropoutMask(rows, width, rate, seed)'s values
   * (rows * width = out.length), to the bit. */
  dropout(out: Float32Array, rate: number, seed: number): void {
    if (rate <= 0) {
      out.fill(1)
      return
    }
    const { state, keepBelow, scale } = dropoutDraw(rate, seed)
    // keeping nothing (a rate of 1 or more): no draw is below 0
    if (keepBelow <= 0) {
      out.fill(0)
      return
    }
    // keeping everything (a rate below 2^-32): no 32-bit draw is below 2^32
    if (keepBelow > 0xffffffff) {
      out.fill(scale)
      return
    }
    const simd = out.length - (out.length % 4)
    if (simd) this.dropoutPass(out.byteOffset, simd, state | 0, keepBelow | 0, new Int32Array(Float32Array.of(scale).buffer)[0]!)
    // the last 0-3 values: mulberry32's draw k + 1 in JavaScript
    for (let k = simd; k < out.length; k++) {
      let t = (state + Math.imul(k + 1, 0x6d2b79f5)) | 0
      t = Math.imul(t ^ (t >>> 15), t | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      out[k] = (t ^ (t >>> 14)) >>> 0 < keepBelow ? scale : 0
    }
  }
}

/** Momentum SGD with decoupled weight decay (tfjs-core's momentum optimizer, no Nesterov): one
 * plain pass, it has no square root or division to vectorise for. */
export function momentumSgd(w: Float32Array, g: Float32Array, acc: Float32Array, momentum: number, lr: number, decay: number): void {
  for (let i = 0; i < w.length; i++) {
    const a = acc[i]! * momentum + g[i]!
    acc[i] = a
    w[i] = (a * -lr + w[i]!) * decay
  }
}
