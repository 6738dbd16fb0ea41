import { describe, expect, it } from 'vitest'
import { checkNumber, describeRange, EPOCHS_RULE, LR_RULE, OPSET_RULE, VIEWS_RULE } from '../../../src/renderer/src/lib/numberRule'

describe('checkNumber', () => {
  it('takes what is in range, as typed', () => {
    expect(checkNumber('0', VIEWS_RULE)).toEqual({ value: 0, error: null })
    expect(checkNumber(' 16 ', VIEWS_RULE)).toEqual({ value: 16, error: null })
    expect(checkNumber('3e-3', LR_RULE)).toEqual({ value: 3e-3, error: null })
    expect(checkNumber('10', LR_RULE)).toEqual({ value: 10, error: null })
  })

  it('refuses out of range instead of clamping, saying the bound', () => {
    expect(checkNumber('99', VIEWS_RULE)).toEqual({ value: null, error: '99 is more than 16, the most allowed' })
    expect(checkNumber('-1', VIEWS_RULE)).toEqual({ value: null, error: '-1 is less than 0, the least allowed' })
    expect(checkNumber('12', OPSET_RULE)).toEqual({ value: null, error: '12 is less than 13, the least allowed' })
    expect(checkNumber('0', LR_RULE)).toEqual({ value: null, error: '0 is too low: it must be above 0' })
    expect(checkNumber('11', LR_RULE).error).toBe('11 is more than 10, the most allowed')
  })

  it('refuses fractions of counted things, empty fields and what is not a number', () => {
    expect(checkNumber('2.5', EPOCHS_RULE).error).toBe('2.5 is not a whole number: enter one from 1 to 1000')
    expect(checkNumber('', VIEWS_RULE).error).toBe('Enter a whole number from 0 to 16')
    expect(checkNumber('  ', LR_RULE).error).toBe('Enter a number above 0, at most 10')
    expect(checkNumber('abc', VIEWS_RULE).error).toBe('Not a number: enter a whole number from 0 to 16')
    // a number input holding "1e" reports an empty value and badInput
    expect(checkNumber('', LR_RULE, true).error).toBe('Not a number: enter a number above 0, at most 10')
    expect(checkNumber('Infinity', LR_RULE).value).toBeNull()
  })

  it('describes ranges the way the errors do', () => {
    expect(describeRange(VIEWS_RULE)).toBe('from 0 to 16')
    expect(describeRange(LR_RULE)).toBe('above 0, at most 10')
  })
})
