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

/** A change to one stage. Moving the freeze boundary renames a stage whose name described the
 * old boundary ("head" becomes "last 2 groups"); a name the user chose is kept. */
export function updateStage(plan: PlanDraft, index: number, patch: Partial<Stage>): PlanDraft {
  return {
    ...plan,
    stages: plan.stages.map((s, i) => {
      if (i !== index) return s
      const next = { ...s, ...patch }
      const moved = patch.freezeTo !== undefined && patch.freezeTo !== s.freezeTo && patch.name === undefined
      if (moved && describesBoundary(s.name) && boundaryOfName(s.name) === s.freezeTo) next.name = boundaryName(next.freezeTo)
      return next
    })
  }
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
  batchSize: 'the batch size',
  patience: 'the patience'
}

interface Issue {
  code: string
  message: string
  expected?: string
  minimum?: unknown
  maximum?: unknown
  inclusive?: boolean
}

/** zod's generic wording ("Too small: expected number to be >=1", "Invalid input") made plain,
 * with the value that was typed when it helps ("2.5 is not a whole number"). */
function plainMessage(issue: Issue, value: unknown): string {
  if (typeof value !== 'number' || Number.isNaN(value)) return 'needs a number'
  if (issue.code === 'invalid_type' && issue.expected === 'int') return `must be a whole number (not ${value})`
  if (issue.code === 'invalid_type') return 'needs a number'
  if (issue.code === 'too_small') return `must be ${issue.inclusive === false ? 'more than' : 'at least'} ${String(issue.minimum)}`
  if (issue.code === 'too_big') return `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${String(issue.maximum)}`
  return issue.message
}

type StageKey = keyof Stage
const NUMBER_FIELDS = ['epochs', 'cycleLen', 'cycleMult', 'warmupPct', 'weightDecay', 'batchSize', 'freezeTo'] as const satisfies readonly StageKey[]
const stageShape = stageSchema.shape
/** one learning rate: the schema's own rule, field by field */
const lrValue = stageShape.lr.options[0]

/** A field the stage's schedule does not read (the editor hides it): not the user's concern. */
function unusedBySchedule(key: StageKey, schedule: ScheduleName): boolean {
  if (key === 'cycleLen' || key === 'cycleMult') return schedule !== 'sgdr'
  if (key === 'warmupPct') return schedule === 'sgdr' || schedule === 'constant'
  return false
}

/** The stage as the studio gets it: a hidden field left half-typed takes its default. */
function withUnusedDefaults(stage: Stage): Stage {
  const d = defaultStage()
  const out = { ...stage }
  for (const key of ['cycleLen', 'cycleMult', 'warmupPct'] as const) {
    if (unusedBySchedule(key, stage.schedule) && !stageShape[key].safeParse(stage[key]).success) out[key] = d[key]
  }
  return out
}

/** Every problem of one stage, each field checked on its own, so a backwards range shows up
 * while another field is still wrong (the schema's object-level check waits for the rest). */
function stageProblems(stage: Stage, index: number): PlanProblem[] {
  const label = stage.name?.trim() ? ` (${stage.name.trim()})` : ''
  const out: PlanProblem[] = []
  const add = (field: StageKey, sentence: string): void => {
    out.push({ stage: index, field, text: `Stage ${index + 1}${label}: ${sentence}` })
  }
  const name = stageShape.name.safeParse(stage.name)
  if (!name.success || !stage.name.trim()) add('name', 'give the stage a name')

  const rates: [string, number][] = Array.isArray(stage.lr)
    ? [
        ["the lowest group's learning rate", stage.lr[0]],
        ["the head's learning rate", stage.lr[1]]
      ]
    : [['the learning rate', stage.lr]]
  let ratesValid = true
  for (const [words, value] of rates) {
    const r = lrValue.safeParse(value)
    if (r.success) continue
    ratesValid = false
    const issue = r.error.issues[0] as unknown as Issue
    add('lr', issue.code === 'too_big' ? `${words} must be at most 10 (a rate above 10 is surely a mistake)` : `${words} ${plainMessage(issue, value)}`)
  }
  if (ratesValid && Array.isArray(stage.lr) && stage.lr[0] > stage.lr[1]) {
    const [lo, hi] = stage.lr
    add('lr', `the lowest group's rate (${formatRate(lo)}) is above the head's (${formatRate(hi)}): the earliest groups should learn slowest, so swap them`)
  }

  for (const key of NUMBER_FIELDS) {
    if (unusedBySchedule(key, stage.schedule)) continue
    const r = stageShape[key].safeParse(stage[key])
    if (!r.success) add(key, `${FIELD_WORDS[key]} ${plainMessage(r.error.issues[0] as unknown as Issue, stage[key])}`)
  }
  return out
}

/** The plan checked field by field: the parsed plan when it is valid, and every problem as a
 * sentence that names the stage and the field. */
export function validatePlan(draft: PlanDraft): { plan: Plan | null; problems: PlanProblem[] } {
  const problems: PlanProblem[] = []
  if (typeof draft.name !== 'string' || !draft.name.trim()) problems.push({ stage: null, field: null, text: 'Give the plan a name' })
  else if (draft.name.trim().length > 100) problems.push({ stage: null, field: null, text: 'The plan name is at most 100 characters' })
  if (draft.stages.length === 0) problems.push({ stage: null, field: null, text: 'A plan needs at least one stage' })
  if (draft.stages.length > 20) problems.push({ stage: null, field: null, text: 'A plan has at most 20 stages' })
  draft.stages.forEach((stage, i) => problems.push(...stageProblems(stage, i)))
  const parsed = planSchema.safeParse({ ...draft, stages: draft.stages.map(withUnusedDefaults) })
  if (problems.length === 0 && parsed.success) return { plan: parsed.data, problems }
  // whatever the schema refuses that the checks above did not name is still shown, never lost
  if (problems.length === 0 && !parsed.success) {
    for (const issue of parsed.error.issues) problems.push({ stage: null, field: null, text: `The plan: ${issue.message}` })
  }
  return { plan: null, problems }
}

/** "2 stages, 6 epochs"; the epochs are only added up when every stage has a valid count, so a
 * total never counts 2.5 or an empty field. */
export function planSummary(draft: PlanDraft): string {
  const n = draft.stages.length
  const stages = `${n} stage${n === 1 ? '' : 's'}`
  const epochs = draft.stages.map((s) => s.epochs)
  if (!epochs.every((e) => stageShape.epochs.safeParse(e).success)) return `${stages}, epochs to fix`
  const total = epochs.reduce((a, b) => a + b, 0)
  return `${stages}, ${total} epoch${total === 1 ? '' : 's'}`
}

/** true when the draft is a preset exactly as it comes (nothing of the user's would be lost by
 * replacing it) */
export function isUnchangedPreset(draft: PlanDraft): boolean {
  const same = JSON.stringify(draft)
  return PRESET_NAMES.some((name) => JSON.stringify(planFromPreset(name)) === same)
}

// Stage names that describe what a stage trains. The presets use them; once the boundary moves,
// such a name would lie ("head" for a stage that trains three groups), so it follows the boundary.
// A name the user wrote is theirs: it stays, with a warning when it names another boundary.

/** the name a stage gets for what it trains: "head", "last group", "last 2 groups", "all" */
export function boundaryName(freezeTo: number): string {
  if (freezeTo === 0) return 'all'
  if (freezeTo === -1) return 'head'
  if (freezeTo === -2) return 'last group'
  return `last ${-freezeTo - 1} groups`
}

const DESCRIPTIVE_NAME = /^(head|head only|all|everything|last group|last (two|three|\d+) groups)$/i

function describesBoundary(name: string): boolean {
  return DESCRIPTIVE_NAME.test(name.trim())
}

/** Which freeze boundary a descriptive name stands for (null for any other name). */
function boundaryOfName(name: string): number | null {
  const n = name.trim().toLowerCase()
  if (!describesBoundary(n)) return null
  if (n === 'head' || n === 'head only') return -1
  if (n === 'all' || n === 'everything') return 0
  if (n === 'last group') return -2
  const count = { two: 2, three: 3 }[n.split(' ')[1] as 'two' | 'three'] ?? Number(n.split(' ')[1])
  return -count - 1
}

/** A warning (the plan still runs) when the stage's name names another boundary than the one it
 * has: the run's records and curves would say "head" for a stage that trained three groups. */
export function stageNameWarning(stage: Stage, groups: number | null): string | null {
  const named = boundaryOfName(stage.name)
  if (named === null) return null
  const same = groups ? firstThawedGroup(named, groups) === firstThawedGroup(stage.freezeTo, groups) : named === stage.freezeTo
  if (same) return null
  return `The name “${stage.name.trim()}” says it trains ${trainsPhrase(named)}, but this stage trains ${trainsPhrase(stage.freezeTo)}: rename it.`
}

function trainsPhrase(freezeTo: number): string {
  if (freezeTo === -1) return 'the head only'
  if (freezeTo === 0) return 'everything'
  return `the ${boundaryName(freezeTo)} and the head`
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
    batchSize: num(r.batchSize, d.batchSize),
    ...(r.patience === undefined ? {} : { patience: num(r.patience, NaN) })
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
