import { describe, expect, it } from 'vitest'
import { planSchema, type Stage } from '../../../src/shared/plan'
import { firstThawedGroup } from '../../../src/shared/schedules'
import {
  addStage,
  defaultStage,
  formatRate,
  freezeToFor,
  isUnchangedPreset,
  moveStage,
  planFromPreset,
  planSummary,
  PRESET_NAMES,
  removeStage,
  reviveDraft,
  serializeDraft,
  stageNameWarning,
  updateStage,
  validatePlan,
  withLrMode,
  withPeakLr
} from '../../../src/renderer/src/lib/planDraft'

describe('presets', () => {
  it('come out as full, valid plans', () => {
    for (const name of PRESET_NAMES) {
      const plan = planFromPreset(name)
      expect(validatePlan(plan).problems).toEqual([])
      expect(plan.stages.every((s) => s.schedule && s.batchSize > 0)).toBe(true)
    }
  })
})

describe('freeze boundary', () => {
  it('round-trips through firstThawedGroup, negative from the end, 0 for everything', () => {
    const groups = 5
    for (let first = 0; first < groups; first++) {
      const f = freezeToFor(first, groups)
      expect(firstThawedGroup(f, groups)).toBe(first)
      expect(first === 0 ? f === 0 : f < 0).toBe(true)
    }
    expect(freezeToFor(99, groups)).toBe(-1)
    expect(freezeToFor(-3, groups)).toBe(0)
  })
})

describe('editing stages', () => {
  const base = planFromPreset('head only')

  it('adds a stage that thaws one group more at lower, spread rates', () => {
    const plan = addStage(base, 5)
    expect(plan.stages).toHaveLength(2)
    const added = plan.stages[1]!
    expect(added.name).toBe('stage 2')
    expect(firstThawedGroup(added.freezeTo, 5)).toBe(3)
    expect(added.lr).toEqual([3e-3 / 100, 3e-3 / 10])
    expect(validatePlan(plan).problems).toEqual([])
    // never past "everything thawed"
    let deep = base
    for (let i = 0; i < 8; i++) deep = addStage(deep, 3)
    expect(deep.stages.at(-1)!.freezeTo).toBe(0)
  })

  it('removes (never the last one), moves and updates stages without touching the input', () => {
    const two = addStage(base, 5)
    expect(removeStage(base, 0)).toBe(base)
    expect(removeStage(two, 0).stages.map((s) => s.name)).toEqual(['stage 2'])
    expect(moveStage(two, 1, -1).stages.map((s) => s.name)).toEqual(['stage 2', 'head'])
    expect(moveStage(two, 1, 1)).toBe(two)
    const renamed = updateStage(two, 0, { name: 'warm-up', epochs: 7 })
    expect(renamed.stages[0]).toMatchObject({ name: 'warm-up', epochs: 7 })
    expect(two.stages[0]!.name).toBe('head')
  })

  it("sets the head's rate from a finder, keeping a range's spread", () => {
    expect(withPeakLr(3e-3, 1e-3)).toBe(1e-3)
    const [lo, hi] = withPeakLr([1e-5, 1e-3], 2e-3) as [number, number]
    expect(lo).toBeCloseTo(2e-5)
    expect(hi).toBe(2e-3)
    expect(withPeakLr([NaN, 1e-3], 1e-2)).toEqual([1e-4, 1e-2])
  })

  it('switches the learning rate between one value and a range', () => {
    expect(withLrMode(1e-3, 'range')).toEqual([1e-5, 1e-3])
    expect(withLrMode([1e-5, 1e-3], 'single')).toBe(1e-3)
    expect(withLrMode(1e-3, 'single')).toBe(1e-3)
  })
})

describe('validatePlan', () => {
  it('names the stage and the field in plain words', () => {
    const plan = { name: 'p', stages: [defaultStage('head'), { ...defaultStage('thaw'), epochs: 0, batchSize: NaN }] }
    const { plan: parsed, problems } = validatePlan(plan)
    expect(parsed).toBeNull()
    const texts = problems.map((p) => p.text)
    expect(texts).toContain('Stage 2 (thaw): epochs must be at least 1')
    expect(texts).toContain('Stage 2 (thaw): the batch size needs a number')
    expect(problems.every((p) => p.stage === 1)).toBe(true)
    expect(problems.map((p) => p.field).sort()).toEqual(['batchSize', 'epochs'])
  })

  it('says so when a range runs backwards, even while another field is wrong', () => {
    const backwards = "Stage 1 (thaw): the lowest group's rate (1e-2) is above the head's (1e-4): the earliest groups should learn slowest, so swap them"
    const { problems } = validatePlan({ name: 'p', stages: [{ ...defaultStage('thaw'), lr: [1e-2, 1e-4] }] })
    expect(problems).toEqual([{ stage: 0, field: 'lr', text: backwards }])
    // the schema's own lo <= hi check waits until the rest of the object parses; this one does not
    const both = validatePlan({ name: 'p', stages: [{ ...defaultStage('thaw'), lr: [1e-2, 1e-4], epochs: 2.5 }] })
    expect(both.problems.map((p) => p.text)).toEqual([backwards, 'Stage 1 (thaw): epochs must be a whole number (not 2.5)'])
    expect(both.plan).toBeNull()
  })

  it('says what is wrong with a learning rate, never "Invalid input"', () => {
    const texts = (lr: Stage['lr']): string[] => validatePlan({ name: 'p', stages: [{ ...defaultStage('head'), lr }] }).problems.map((p) => p.text)
    expect(texts(0)).toEqual(['Stage 1 (head): the learning rate must be more than 0'])
    expect(texts(NaN)).toEqual(['Stage 1 (head): the learning rate needs a number'])
    expect(texts(20)).toEqual(['Stage 1 (head): the learning rate must be at most 10 (a rate above 10 is surely a mistake)'])
    expect(texts([NaN, 1e-3])).toEqual(["Stage 1 (head): the lowest group's learning rate needs a number"])
    expect(texts([1e-4, -1])).toEqual(["Stage 1 (head): the head's learning rate must be more than 0"])
    for (const lr of [0, NaN, 20, [NaN, 1e-3], [1e-4, -1]] as Stage['lr'][]) expect(texts(lr).join(' ')).not.toMatch(/invalid input/i)
  })

  it('calls 2.5 epochs what it is: not a whole number', () => {
    const texts = (patch: Partial<Stage>): string[] => validatePlan({ name: 'p', stages: [{ ...defaultStage('s'), ...patch }] }).problems.map((p) => p.text)
    expect(texts({ epochs: 2.5 })).toEqual(['Stage 1 (s): epochs must be a whole number (not 2.5)'])
    expect(texts({ batchSize: 31.5 })).toEqual(['Stage 1 (s): the batch size must be a whole number (not 31.5)'])
    expect(texts({ epochs: NaN })).toEqual(['Stage 1 (s): epochs needs a number'])
    expect(texts({ warmupPct: 1 })).toEqual(['Stage 1 (s): the warm-up share must be at most 0.99'])
    // fields the schedule does not use are not held against it
    expect(texts({ schedule: 'constant', warmupPct: NaN })).toEqual([])
  })

  it('reports an empty plan', () => {
    expect(validatePlan({ name: 'p', stages: [] }).problems[0]!.text).toBe('A plan needs at least one stage')
  })

  it('gives back what planSchema parses', () => {
    const draft = planFromPreset('fine-tune')
    expect(validatePlan(draft).plan).toEqual(planSchema.parse(draft))
  })
})

describe('planSummary', () => {
  it('adds up epochs only when every stage has a valid count', () => {
    const plan = planFromPreset('fine-tune')
    expect(planSummary(plan)).toBe('2 stages, 6 epochs')
    expect(planSummary(updateStage(plan, 1, { epochs: 2.5 }))).toBe('2 stages, epochs to fix')
    expect(planSummary(updateStage(plan, 1, { epochs: NaN }))).toBe('2 stages, epochs to fix')
    expect(planSummary(updateStage(plan, 1, { epochs: 0 }))).toBe('2 stages, epochs to fix')
    expect(planSummary(planFromPreset('head only'))).toBe('1 stage, 10 epochs')
  })
})

describe('presets and edits', () => {
  it('knows a preset as it came from one the user changed', () => {
    for (const name of PRESET_NAMES) expect(isUnchangedPreset(planFromPreset(name))).toBe(true)
    expect(isUnchangedPreset(updateStage(planFromPreset('fine-tune'), 0, { epochs: 2 }))).toBe(false)
    expect(isUnchangedPreset(addStage(planFromPreset('head only'), 5))).toBe(false)
  })
})

describe('stage names follow the freeze boundary', () => {
  it('renames a descriptive name when the boundary moves, and keeps the user\'s own', () => {
    const plan = planFromPreset('gradual thaw')
    const dragged = updateStage(plan, 0, { freezeTo: -4 })
    expect(dragged.stages[0]).toMatchObject({ name: 'last 3 groups', freezeTo: -4 })
    expect(updateStage(dragged, 0, { freezeTo: 0 }).stages[0]!.name).toBe('all')
    expect(updateStage(updateStage(dragged, 0, { freezeTo: -2 }), 0, { freezeTo: -1 }).stages[0]!.name).toBe('head')
    expect(updateStage(plan, 1, { freezeTo: -1 }).stages[1]!.name).toBe('head')
    const mine = updateStage(plan, 0, { name: 'warm-up' })
    expect(updateStage(mine, 0, { freezeTo: -3 }).stages[0]!.name).toBe('warm-up')
    // a rename and a move together: the user's name wins
    expect(updateStage(plan, 0, { freezeTo: -3, name: 'x' }).stages[0]!.name).toBe('x')
  })

  it('warns when a name the user typed says another boundary than the stage has', () => {
    const stage = { ...defaultStage('head'), freezeTo: -4 }
    expect(stageNameWarning(stage, 6)).toBe('The name “head” says it trains the head only, but this stage trains the last 3 groups and the head: rename it.')
    expect(stageNameWarning({ ...stage, name: 'all' }, 6)).toMatch(/says it trains everything/)
    expect(stageNameWarning({ ...stage, freezeTo: -1 }, 6)).toBeNull()
    expect(stageNameWarning({ ...stage, name: 'my stage' }, 6)).toBeNull()
    // "last 5 groups" of a 6-group backbone is everything: the same boundary, no warning
    expect(stageNameWarning({ ...stage, name: 'last 5 groups', freezeTo: 0 }, 6)).toBeNull()
  })
})

describe('storage', () => {
  it('round-trips a draft, half-typed fields included', () => {
    const draft = updateStage(planFromPreset('gradual thaw'), 1, { epochs: NaN, lr: [NaN, 1e-3] })
    const back = reviveDraft(serializeDraft(draft))!
    expect(back.stages).toHaveLength(3)
    expect(back.stages[1]!.epochs).toBeNaN()
    expect((back.stages[1]!.lr as number[])[0]).toBeNaN()
    expect(back.stages[2]).toEqual(draft.stages[2])
  })

  it('refuses what is not a plan and repairs mistyped fields', () => {
    expect(reviveDraft(null)).toBeNull()
    expect(reviveDraft('{oops')).toBeNull()
    expect(reviveDraft('{"stages":[]}')).toBeNull()
    expect(reviveDraft('{"stages":[3]}')).toBeNull()
    const back = reviveDraft('{"stages":[{"name":"x","schedule":"warp","optimizer":"lion","freezeTo":1.5,"trainBn":"yes"}]}')!
    // a mistyped field takes the stage's default (trainBn: false since frozen batch norm follows the Keras rule)
    expect(back.stages[0]).toMatchObject({ name: 'x', schedule: 'one-cycle', optimizer: 'adam', freezeTo: -1, trainBn: false })
    expect(back.name).toBe('plan')
  })
})

describe('formatRate', () => {
  it('writes rates in short scientific form', () => {
    expect(formatRate(3e-3)).toBe('3e-3')
    expect(formatRate(1.5e-4)).toBe('1.5e-4')
    expect(formatRate(0.01)).toBe('1e-2')
    expect(formatRate(NaN)).toBe('–')
  })
})
