// Schedules are pure functions of progress through a stage (pos in 0..1) giving a factor of the
// stage's peak learning rate. Phases are stitched with `combine`, as fastai's combine_scheds.
import type { Stage } from './plan'

export type Sched = (pos: number) => number

export const lin = (start: number, end: number): Sched => (pos) => start + pos * (end - start)
export const cos = (start: number, end: number): Sched => (pos) => start + ((1 + Math.cos(Math.PI * (1 - pos))) * (end - start)) / 2
export const constant = (v: number): Sched => () => v

/** Runs `scheds` one after another over shares `pcts` (summing to 1) of the whole. */
export function combine(pcts: number[], scheds: Sched[]): Sched {
  if (pcts.length !== scheds.length) throw new Error('combine: one share per schedule')
  const total = pcts.reduce((a, b) => a + b, 0)
  if (Math.abs(total - 1) > 1e-9) throw new Error(`combine: shares sum to ${total}, not 1`)
  const starts = pcts.map((_, i) => pcts.slice(0, i).reduce((a, b) => a + b, 0))
  return (pos) => {
    const p = Math.min(Math.max(pos, 0), 1)
    let i = starts.length - 1
    while (i > 0 && p < starts[i]!) i--
    const len = pcts[i]!
    return scheds[i]!(len > 0 ? Math.min((p - starts[i]!) / len, 1) : 1)
  }
}

/** fastai's one-cycle: cosine warm-up from 1/div to 1, then cosine down to 1/finalDiv. */
export function oneCycle(warmupPct: number, div = 25, finalDiv = 1e4): Sched {
  if (warmupPct <= 0) return cos(1, 1 / finalDiv)
  return combine([warmupPct, 1 - warmupPct], [cos(1 / div, 1), cos(1, 1 / finalDiv)])
}

/** Linear warm-up, then cosine annealing to (almost) zero. */
export function cosineAnnealing(warmupPct: number, finalDiv = 1e4): Sched {
  if (warmupPct <= 0) return cos(1, 1 / finalDiv)
  return combine([warmupPct, 1 - warmupPct], [lin(1 / 25, 1), cos(1, 1 / finalDiv)])
}

/** SGDR (warm restarts): cosine cycles of cycleLen, cycleLen*mult, ... epochs. The last cycle is
 * stretched to end with the stage, so a stage never stops in the middle of a cycle's high. */
export function sgdr(epochs: number, cycleLen: number, cycleMult: number, finalDiv = 1e4): Sched {
  const lengths: number[] = []
  let used = 0
  let len = cycleLen
  while (used + len < epochs) {
    lengths.push(len)
    used += len
    len *= cycleMult
  }
  lengths.push(epochs - used)
  return combine(
    lengths.map((l) => l / epochs),
    lengths.map(() => cos(1, 1 / finalDiv))
  )
}

export function scheduleFor(stage: Stage): Sched {
  switch (stage.schedule) {
    case 'one-cycle':
      return oneCycle(stage.warmupPct)
    case 'cosine':
      return cosineAnnealing(stage.warmupPct)
    case 'sgdr':
      return sgdr(stage.epochs, stage.cycleLen, stage.cycleMult)
    case 'constant':
      return constant(1)
  }
}

/** fastai's even_mults: n rates from lo to hi, evenly spaced on a log scale. */
export function evenMults(lo: number, hi: number, n: number): number[] {
  if (n <= 1) return [hi]
  const step = (hi / lo) ** (1 / (n - 1))
  return Array.from({ length: n }, (_, i) => lo * step ** i)
}

/** Peak rate of each thawed group, earliest first, the head last. */
export function groupRates(lr: Stage['lr'], thawedGroups: number): number[] {
  return Array.isArray(lr) ? evenMults(lr[0], lr[1], thawedGroups) : Array.from({ length: thawedGroups }, () => lr)
}

/** Index of the first thawed group among `groups` (backbone groups plus the head), from
 * fastai-style freezeTo: negative counts from the end. Always leaves the head thawed. */
export function firstThawedGroup(freezeTo: number, groups: number): number {
  const n = freezeTo < 0 ? groups + freezeTo : freezeTo
  return Math.min(Math.max(n, 0), groups - 1)
}

/** Every layer group's learning rate over a whole plan (backbone groups, then the head), sampled
 * `perEpoch` times per epoch: what the layers panel plots before a run, computed by the same
 * functions the fit loop applies. A group frozen in a stage has rate 0 there. */
export function planRates(stages: Stage[], groups: number, perEpoch = 10): { epochs: number[]; rates: number[][] } {
  const epochs: number[] = []
  const rates: number[][] = Array.from({ length: groups }, () => [])
  let offset = 0
  for (const stage of stages) {
    const sched = scheduleFor(stage)
    const first = firstThawedGroup(stage.freezeTo, groups)
    const peaks = groupRates(stage.lr, groups - first)
    const samples = stage.epochs * perEpoch
    for (let i = 0; i < samples; i++) {
      const pos = i / samples
      epochs.push(offset + pos * stage.epochs)
      for (let g = 0; g < groups; g++) rates[g]!.push(g < first ? 0 : peaks[g - first]! * sched(pos))
    }
    offset += stage.epochs
  }
  return { epochs, rates }
}
