import { describe, expect, it } from 'vitest'
import { BACKEND_CHOICES, isBackendChoice, mustRestoreAfterFailedSwitch } from '../../../src/renderer/src/lib/engineChoice'
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

  it('asks for the previous backend again only when the studio had already taken the new one', () => {
    // refused before anything changed: a job runs, a bad request, no connection
    expect(mustRestoreAfterFailedSwitch('BUSY')).toBe(false)
    expect(mustRestoreAfterFailedSwitch('BAD_ARGS')).toBe(false)
    expect(mustRestoreAfterFailedSwitch('DISCONNECTED')).toBe(false)
    // the workers were stopped and the new preference kept: an unavailable backend, a crash
    expect(mustRestoreAfterFailedSwitch('BACKEND_UNAVAILABLE')).toBe(true)
    expect(mustRestoreAfterFailedSwitch('INTERNAL')).toBe(true)
    expect(mustRestoreAfterFailedSwitch(undefined)).toBe(true)
  })
})
