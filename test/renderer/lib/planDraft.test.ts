import { describe, expect, it } from 'vitest'
import { planSchema } from '../../../src/shared/plan'
import { firstThawedGroup } from '../../../src/shared/schedules'
import {
  addStage,
  defaultStage,
  formatRate,
  freezeToFor,
  moveStage,
  planFromPreset,
  PRESET_NAMES,
  removeStage,
  reviveDraft,
  serializeDraft,
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

  it('says so when a range runs backwards (checked once the fields themselves are valid)', () => {
    const { problems } = validatePlan({ name: 'p', stages: [{ ...defaultStage('thaw'), lr: [1e-2, 1e-4] }] })
    expect(problems).toEqual([
      { stage: 0, field: 'lr', text: "Stage 1 (thaw): the lowest learning rate must not be above the head's (lr [lo, hi] needs lo <= hi)" }
    ])
  })

  it("keeps the schema's own learning-rate messages", () => {
    const { problems } = validatePlan({ name: 'p', stages: [{ ...defaultStage('head'), lr: 0 }] })
    expect(problems[0]!.text).toBe('Stage 1 (head): a learning rate must be > 0')
  })

  it('reports an empty plan', () => {
    expect(validatePlan({ name: 'p', stages: [] }).problems[0]!.text).toBe('The plan a plan needs at least one stage')
  })

  it('gives back what planSchema parses', () => {
    const draft = planFromPreset('fine-tune')
    expect(validatePlan(draft).plan).toEqual(planSchema.parse(draft))
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
