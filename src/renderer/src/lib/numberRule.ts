// The allowed values of a number field, and what to say, next to the field, when a typed value
// is not one of them. A value out of range is refused, never clamped: Views set to 99 once became
// 16 without a word and started a 27-minute job. Pure: the fields call it, the tests call it.

export interface NumberRule {
  min: number
  max: number
  /** counted things (views, epochs, a percentage of whole points): no fraction */
  integer?: boolean
  /** the minimum itself is not allowed (a learning rate must be above 0) */
  minExclusive?: boolean
  /** how the allowed values read, when "from min to max" says it badly */
  range?: string
}

export type NumberCheck = { value: number; error: null } | { value: null; error: string }

/** "from 0 to 16", "above 0, at most 10" */
export function describeRange(rule: NumberRule): string {
  if (rule.range) return rule.range
  if (rule.minExclusive) return `above ${rule.min}, at most ${rule.max}`
  return `from ${rule.min} to ${rule.max}`
}

/**
 * Reads what the field holds. `text` is the field's text; `badInput` is the browser's
 * validity.badInput (a number field holding "1e" or "abc" reports an empty value).
 */
export function checkNumber(text: string, rule: NumberRule, badInput = false): NumberCheck {
  const t = text.trim()
  const whole = rule.integer ? 'a whole number ' : 'a number '
  if (badInput || (t !== '' && !Number.isFinite(Number(t)))) return { value: null, error: `Not a number: enter ${whole}${describeRange(rule)}` }
  if (t === '') return { value: null, error: `Enter ${whole}${describeRange(rule)}` }
  const v = Number(t)
  if (rule.integer && !Number.isInteger(v)) return { value: null, error: `${t} is not a whole number: enter one ${describeRange(rule)}` }
  if (v > rule.max) return { value: null, error: `${t} is more than ${rule.max}, the most allowed` }
  if (rule.minExclusive ? v <= rule.min : v < rule.min) {
    return { value: null, error: rule.minExclusive ? `${t} is too low: it must be above ${rule.min}` : `${t} is less than ${rule.min}, the least allowed` }
  }
  return { value: v, error: null }
}

// The studio's fields of this kind, each with the contract's bounds.
export const VIEWS_RULE: NumberRule = { min: 0, max: 16, integer: true }
export const VALID_PERCENT_RULE: NumberRule = { min: 0, max: 89, integer: true }
export const SEED_RULE: NumberRule = { min: 0, max: 2 ** 31 - 1, integer: true, range: 'from 0 to 2147483647' }
export const OPSET_RULE: NumberRule = { min: 13, max: 21, integer: true }
export const EPOCHS_RULE: NumberRule = { min: 1, max: 1000, integer: true }
export const LR_RULE: NumberRule = { min: 0, max: 10, minExclusive: true }
