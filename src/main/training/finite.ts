import { ThawError } from '../errors'

// Non-finite numbers (NaN, Infinity) must stop a run, never train silently: a NaN loss makes
// every weight NaN within a step, and the model saved at the end predicts nothing.

/** The rows (of `size` values each) of `values` holding a NaN or an Infinity. */
export function nonFiniteRows(values: Float32Array, size: number): number[] {
  const bad: number[] = []
  for (let r = 0; r * size < values.length; r++) {
    for (let i = r * size, end = i + size; i < end; i++) {
      // x - x is 0 for every finite x and NaN for NaN and ±Infinity: one test per value
      if (values[i]! - values[i]! !== 0) {
        bad.push(r)
        break
      }
    }
  }
  return bad
}

const names = (paths: string[]): string => {
  const shown = paths.slice(0, 5).join(', ')
  return paths.length > 5 ? `${shown} and ${paths.length - 5} more` : shown
}

/** The error for cached activations that are not numbers, naming the images. */
export function damagedRowsError(paths: string[]): ThawError {
  return new ThawError(
    'NOT_FINITE',
    `the cached activations of ${paths.length} image${paths.length === 1 ? '' : 's'} hold NaN or Infinity: ${names(paths)}. ` +
      'They were removed from the cache; train again (or run precompute) to compute them anew'
  )
}

/** Throws when a step's or an evaluation's loss is not a finite number. */
export function checkLoss(loss: number, where: { stage: number; name: string; epoch: number; batch?: number }): void {
  if (Number.isFinite(loss)) return
  const at = `stage ${where.stage + 1} ("${where.name}"), epoch ${where.epoch + 1}${where.batch === undefined ? ' (validation)' : `, batch ${where.batch + 1}`}`
  throw new ThawError(
    'NOT_FINITE',
    `the loss became ${loss} at ${at}: training diverged, so the run stopped and no model was kept. Try a smaller learning rate for this stage (the LR finder suggests one)`
  )
}

/** Probabilities a person can read, or why not. */
export function checkProbabilities(probs: ArrayLike<number>): string | null {
  for (let i = 0; i < probs.length; i++) {
    if (!Number.isFinite(probs[i]!)) return 'the model gave no finite probabilities (NaN): its weights are damaged; train a new model'
  }
  return null
}
