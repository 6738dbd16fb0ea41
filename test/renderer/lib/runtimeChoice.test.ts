import { describe, expect, it } from 'vitest'
import { describeFrozenRun, isProviderChoice, isRuntimeChoice, PROVIDER_CHOICES, RUNTIME_CHOICES } from '../../../src/renderer/src/lib/runtimeChoice'
import { commands } from '../../../src/shared/contract'
import type { FrozenRuntimeReport } from '../../../src/shared/types'

describe('frozen runtime choices', () => {
  it('offers exactly what setFrozenRuntime accepts', () => {
    for (const runtime of RUNTIME_CHOICES) {
      for (const provider of PROVIDER_CHOICES) expect(commands.setFrozenRuntime.args.safeParse({ runtime, provider }).success).toBe(true)
    }
    expect(commands.setFrozenRuntime.args.safeParse({ runtime: 'webgpu', provider: 'cpu' }).success).toBe(false)
    expect(commands.setFrozenRuntime.args.safeParse({ runtime: 'onnx', provider: 'cuda' }).success).toBe(false)
    expect(RUNTIME_CHOICES).toEqual(['auto', 'onnx', 'tfjs'])
    expect(PROVIDER_CHOICES).toEqual(['auto', 'cpu', 'gpu'])
    expect(isRuntimeChoice('onnx') && isProviderChoice('gpu')).toBe(true)
    expect(isRuntimeChoice('gpu') || isProviderChoice('onnx') || isRuntimeChoice(undefined)).toBe(false)
  })

  it('says what ran a precompute, with its check', () => {
    const onnx: FrozenRuntimeReport = {
      preference: 'auto', runtime: 'onnx', provider: 'cpu', detail: 'ONNX Runtime, CPU, 2 threads', reason: null,
      check: { maxAbsDiff: 1.4e-4, relDiff: 2.3e-5, images: 4, tolerance: 1e-3 }, threads: 2, workers: 1
    }
    expect(describeFrozenRun(onnx)).toBe('ONNX Runtime, CPU, 2 threads; matches TF.js on 4 images to 2.3e-5 relative (allowed 0.001)')
    expect(describeFrozenRun({ ...onnx, runtime: 'tfjs', detail: 'TF.js wasm (SIMD, 1 thread)', check: null, workers: 2 })).toBe('TF.js wasm (SIMD, 1 thread); 2 engine workers')
    expect(describeFrozenRun({ ...onnx, runtime: null })).toBe('nothing was computed')
  })
})
