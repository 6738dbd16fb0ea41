import { describe, expect, it } from 'vitest'
import { BACKEND_CHOICES, isBackendChoice } from '../../../src/renderer/src/lib/engineChoice'
import { commands } from '../../../src/shared/contract'

describe('backend choices', () => {
  it('offers exactly what setEngineBackend accepts', () => {
    for (const backend of BACKEND_CHOICES) expect(commands.setEngineBackend.args.safeParse({ backend }).success, backend).toBe(true)
    expect(commands.setEngineBackend.args.safeParse({ backend: 'webgl' }).success).toBe(false)
    expect(BACKEND_CHOICES).toEqual(['auto', 'tensorflow', 'wasm', 'cpu'])
  })

  it('recognises a stored choice and nothing else', () => {
    expect(isBackendChoice('wasm')).toBe(true)
    expect(isBackendChoice('webgl')).toBe(false)
    expect(isBackendChoice(null)).toBe(false)
  })
})
