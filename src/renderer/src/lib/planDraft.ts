// The layers panel edits a plan as a draft: the same shape as a parsed plan (every field filled),
// except that a number field the user has emptied holds NaN until they type one. Validation is
// planSchema's, with its messages turned into sentences that name the stage and the field.
// Everything here is pure: the panel calls it, the tests call it.
import { planSchema, PRESETS, stageSchema, type Plan, type ScheduleName, SCHEDULES, type Stage } from '../../../shared/plan'
import { firstThawedGroup } from '../../../shared/schedules'

export type PlanDraft = Plan
export type PresetName = keyof typeof PRESETS
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[]
export type LrMode = 'single' | 'range'

export function planFromPreset(name: PresetName): PlanDraft {
  return planSchema.parse(PRESETS[name]())
}

export function defaultStage(name = 'stage'): Stage {
  return stageSchema.parse({ name, epochs: 3, lr: 3e-3 })
}

/** The rate the head trains at: a single rate, or the top of [lo, hi]. */
export function peakLr(lr: Stage['lr']): number {
  return Array.isArray(lr) ? lr[1] : lr
}

/** fastai's freeze_to value that makes `first` the first thawed group, counted from the end
 * (negative) so the plan keeps its meaning on a backbone with another number of groups; 0 when
 * everything trains. `groups` counts the head. */
export function freezeToFor(first: number, groups: number): number {
  const clamped = Math.min(Math.max(first, 0), groups - 1)
  return clamped === 0 ? 0 : clamped - groups
}

/** A new last stage: the previous one, thawing one group more, with rates a tenth lower and spread
 * over the groups (the shape of a gradual thaw), so adding a stage is one click from useful. */
export function addStage(plan: PlanDraft, groups: number): PlanDraft {
  const last = plan.stages[plan.stages.length - 1] ?? defaultStage()
  const first = firstThawedGroup(last.freezeTo, groups)
  const peak = Number.isFinite(peakLr(last.lr)) ? peakLr(last.lr) : 3e-3
  const stage: Stage = {
    ...last,
    name: `stage ${plan.stages.length + 1}`,
    freezeTo: freezeToFor(first - 1, groups),
    lr: [peak / 100, peak / 10]
  }
  return { ...plan, stages: [...plan.stages, stage] }
}

export function removeStage(plan: PlanDraft, index: number): PlanDraft {
  if (plan.stages.length <= 1) return plan
  return { ...plan, stages: plan.stages.filter((_, i) => i !== index) }
}

/** Moves a stage up (delta -1) or down (+1); out of range is a no-op. */
export function moveStage(plan: PlanDraft, index: number, delta: number): PlanDraft {
  const to = index + delta
  if (index < 0 || index >= plan.stages.length || to < 0 || to >= plan.stages.length) return plan
  const stages = [...plan.stages]
  const [stage] = stages.splice(index, 1)
  stages.splice(to, 0, stage!)
  return { ...plan, stages }
}

export function updateStage(plan: PlanDraft, index: number, patch: Partial<Stage>): PlanDraft {
  return { ...plan, stages: plan.stages.map((s, i) => (i === index ? { ...s, ...patch } : s)) }
}

export function lrMode(lr: Stage['lr']): LrMode {
  return Array.isArray(lr) ? 'range' : 'single'
}

/** Switching to a range spreads the rate over two decades below it (fastai's slice(lr/100, lr));
 * back to one rate keeps the head's. */
export function withLrMode(lr: Stage['lr'], mode: LrMode): Stage['lr'] {
  if (mode === lrMode(lr)) return lr
  const peak = peakLr(lr)
  return mode === 'range' ? [peak / 100, peak] : peak
}

/** A new rate for the head (an LR finder's suggestion), keeping a range's spread: fastai's
 * slice(lo, hi) scaled as one, which is also how the finder swept it. */
export function withPeakLr(lr: Stage['lr'], peak: number): Stage['lr'] {
  if (!Array.isArray(lr)) return peak
  const [lo, hi] = lr
  return Number.isFinite(lo) && Number.isFinite(hi) && hi > 0 ? [(lo / hi) * peak, peak] : [peak / 100, peak]
}

export interface PlanProblem {
  /** 0-based stage index, or null for the plan as a whole */
  stage: number | null
  /** the stage field ('lr', 'epochs'...), or null */
  field: keyof Stage | null
  /** a sentence for people: "Stage 2 (thaw): epochs must be at least 1" */
  text: string
}

const FIELD_WORDS: Record<keyof Stage, string> = {
  name: 'the name',
  freezeTo: 'the freeze boundary',
  epochs: 'epochs',
  lr: 'the learning rate',
  schedule: 'the schedule',
  cycleLen: 'the cycle length',
  cycleMult: 'the cycle multiplier',
  warmupPct: 'the warm-up share',
  trainBn: 'train BN',
  optimizer: 'the optimizer',
  weightDecay: 'the weight decay',
  batchSize: 'the batch size'
}

interface Issue {
  code: string
  path: PropertyKey[]
  message: string
  minimum?: unknown
  maximum?: unknown
  inclusive?: boolean
}

/** zod's generic wording ("Too small: expected number to be >=1") made plain; the schema's own
 * messages (lr bounds, lo <= hi) are kept as they are. */
function plainMessage(issue: Issue): string {
  if (issue.code === 'invalid_type') return 'needs a number'
  if (issue.code === 'too_small' && /^too small/i.test(issue.message)) {
    return `must be ${issue.inclusive === false ? 'more than' : 'at least'} ${String(issue.minimum)}`
  }
  if (issue.code === 'too_big' && /^too big/i.test(issue.message)) {
    return `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${String(issue.maximum)}`
  }
  return issue.message
}

/** planSchema on a draft: the parsed plan when it is valid, and every problem as a sentence. */
export function validatePlan(draft: PlanDraft): { plan: Plan | null; problems: PlanProblem[] } {
  const parsed = planSchema.safeParse(draft)
  if (parsed.success) return { plan: parsed.data, problems: [] }
  const problems = parsed.error.issues.map((raw): PlanProblem => {
    const issue = raw as unknown as Issue
    const [head, index, field, part] = issue.path
    if (head !== 'stages' || typeof index !== 'number') {
      const what = head === 'name' ? 'The plan name' : 'The plan'
      return { stage: null, field: null, text: `${what} ${plainMessage(issue)}` }
    }
    const stage = draft.stages[index]
    const key = (typeof field === 'string' && field in FIELD_WORDS ? field : null) as keyof Stage | null
    let words = key ? FIELD_WORDS[key] : 'a field'
    if (key === 'lr' && part === 0) words = 'the lowest learning rate'
    if (key === 'lr' && part === 1) words = "the head's learning rate"
    const label = stage?.name?.trim() ? ` (${stage.name.trim()})` : ''
    const message = plainMessage(issue)
    // the schema's own sentences already say what they are about
    const sentence = /lo <= hi/.test(message)
      ? "the lowest learning rate must not be above the head's (lr [lo, hi] needs lo <= hi)"
      : /learning rate/.test(message)
        ? message
        : `${words} ${message}`
    return { stage: index, field: key, text: `Stage ${index + 1}${label}: ${sentence}` }
  })
  return { plan: null, problems }
}

// Storage: the draft as the user left it, per project, so a reload loses nothing, including a
// field they were still typing. NaN goes through JSON as null and comes back as NaN.

export function planStorageKey(projectPath: string): string {
  return `thaw:plan:${projectPath}`
}

export function serializeDraft(draft: PlanDraft): string {
  return JSON.stringify(draft)
}

const num = (v: unknown, fallback: number): number => (typeof v === 'number' ? v : v === null ? NaN : fallback)

function reviveStage(raw: unknown, index: number): Stage | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null
  const r = raw as Record<string, unknown>
  const d = defaultStage(`stage ${index + 1}`)
  let lr: Stage['lr'] = d.lr
  if (Array.isArray(r.lr) && r.lr.length === 2) lr = [num(r.lr[0], NaN), num(r.lr[1], NaN)]
  else if (typeof r.lr === 'number' || r.lr === null) lr = num(r.lr, NaN)
  return {
    name: typeof r.name === 'string' ? r.name : d.name,
    freezeTo: typeof r.freezeTo === 'number' && Number.isInteger(r.freezeTo) ? r.freezeTo : d.freezeTo,
    epochs: num(r.epochs, d.epochs),
    lr,
    schedule: SCHEDULES.includes(r.schedule as ScheduleName) ? (r.schedule as ScheduleName) : d.schedule,
    cycleLen: num(r.cycleLen, d.cycleLen),
    cycleMult: num(r.cycleMult, d.cycleMult),
    warmupPct: num(r.warmupPct, d.warmupPct),
    trainBn: typeof r.trainBn === 'boolean' ? r.trainBn : d.trainBn,
    optimizer: r.optimizer === 'sgd' || r.optimizer === 'adam' ? r.optimizer : d.optimizer,
    weightDecay: num(r.weightDecay, d.weightDecay),
    batchSize: num(r.batchSize, d.batchSize)
  }
}

/** A stored draft back, or null when there is none or it is not a plan at all (then the panel
 * starts from a preset). Unknown or mistyped fields fall back to the defaults. */
export function reviveDraft(raw: string | null): PlanDraft | null {
  if (!raw) return null
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    return null
  }
  if (typeof value !== 'object' || value === null) return null
  const v = value as Record<string, unknown>
  if (!Array.isArray(v.stages) || v.stages.length === 0 || v.stages.length > 20) return null
  const stages = v.stages.map(reviveStage)
  if (stages.some((s) => s === null)) return null
  return { name: typeof v.name === 'string' && v.name.trim() ? v.name : 'plan', stages: stages as Stage[] }
}

/** "3e-3", "1.5e-4": learning rates read best in this form, and alike everywhere. */
export function formatRate(lr: number): string {
  if (!Number.isFinite(lr)) return '–'
  const [mantissa, exponent] = lr.toExponential(1).split('e')
  return `${mantissa!.replace(/\.0$/, '')}e${Number(exponent)}`
}
