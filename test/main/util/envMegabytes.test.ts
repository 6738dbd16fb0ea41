import { describe, expect, it } from 'vitest'
import { ThawError } from '../../../src/main/errors'
import { envMegabytes } from '../../../src/main/util/envMegabytes'

describe('envMegabytes', () => {
  it('reads megabytes as bytes, and unset or empty as no setting', () => {
    expect(envMegabytes('X_MB', '700', { zero: false })).toBe(700e6)
    expect(envMegabytes('X_MB', '0.5', { zero: false })).toBe(0.5e6)
    expect(envMegabytes('X_MB', '0', { zero: true })).toBe(0)
    expect(envMegabytes('X_MB', undefined, { zero: false })).toBeUndefined()
    expect(envMegabytes('X_MB', ' ', { zero: false })).toBeUndefined()
  })

  it('refuses what is not a size by the variable name, instead of falling back to the default', () => {
    for (const bad of ['lots', '2GB', '-1', 'Infinity', 'NaN']) {
      expect(() => envMegabytes('X_MB', bad, { zero: true })).toThrow(`X_MB must be a number of megabytes (0 or more), not "${bad}"`)
    }
    expect(() => envMegabytes('X_MB', '0', { zero: false })).toThrow('X_MB must be a number of megabytes above 0, not "0"')
    const thrown = (() => {
      try {
        envMegabytes('X_MB', 'x', { zero: false })
      } catch (err) {
        return err
      }
      return null
    })()
    expect(thrown).toBeInstanceOf(ThawError)
    expect((thrown as ThawError).code).toBe('BAD_SETTING')
  })
})
