// The layers panel's plan as the user edits it, kept per project in localStorage (so a reload or
// a crash loses nothing, a half-typed field included), its validation, and the cache estimate the
// studio gives for it. Kept outside the components so it survives a visit to another screen.
import type { Plan, Stage } from '../../../../shared/plan'
import type { LrFindResult, StageCachePlan } from '../../../../shared/types'
import {
  addStage,
  moveStage,
  planFromPreset,
  planStorageKey,
  removeStage,
  reviveDraft,
  serializeDraft,
  updateStage,
  validatePlan,
  withPeakLr,
  type PlanDraft,
  type PresetName
} from '../../lib/planDraft'
import { lrSweepFor, type SweepLength } from '../../lib/lrSweep'
import { training } from '../../lib/training.svelte'
import { attempt } from '../../lib/toasts.svelte'
import { api, StudioError } from '../../lib/transport'

/** wait this long after the last edit before asking for a cache estimate */
const ESTIMATE_DEBOUNCE_MS = 300

class LayersState {
  draft = $state<PlanDraft>(planFromPreset('fine-tune'))
  /** the stage the strip edits */
  selected = $state(0)
  validation = $derived(validatePlan(this.draft))
  /** the last plan that validated: the chart keeps showing it while a field is being retyped */
  lastValid = $state<Plan | null>(null)
  estimates = $state<StageCachePlan[] | null>(null)
  estimateError = $state<string | null>(null)
  estimating = $state(false)
  /** the last LR-finder sweep, for the stage it was run on, and how long a sweep it was */
  finder = $state<{ stage: number; result: LrFindResult; sweep: SweepLength } | null>(null)
  /** the stage whose sweep is running */
  finding = $state<number | null>(null)
  private projectPath: string | null = null
  private estimateTimer: ReturnType<typeof setTimeout> | null = null
  private estimateSeq = 0

  open(projectPath: string): void {
    if (projectPath === this.projectPath) return
    this.projectPath = projectPath
    this.draft = reviveDraft(localStorage.getItem(planStorageKey(projectPath))) ?? planFromPreset('fine-tune')
    this.selected = 0
    this.estimates = null
    this.lastValid = null
    this.finder = null
  }

  private set(draft: PlanDraft): void {
    this.draft = draft
    this.selected = Math.min(this.selected, draft.stages.length - 1)
    if (this.projectPath) localStorage.setItem(planStorageKey(this.projectPath), serializeDraft(draft))
  }

  applyPreset(name: PresetName): void {
    this.set(planFromPreset(name))
    this.selected = 0
    this.finder = null
  }

  update(index: number, patch: Partial<Stage>): void {
    this.set(updateStage(this.draft, index, patch))
  }

  rename(name: string): void {
    this.set({ ...this.draft, name })
  }

  add(groups: number): void {
    this.set(addStage(this.draft, groups))
    this.selected = this.draft.stages.length - 1
  }

  remove(index: number): void {
    this.set(removeStage(this.draft, index))
    // a sweep belongs to its stage: once stages shift it would be shown under another
    this.finder = null
  }

  move(index: number, delta: number): void {
    const next = moveStage(this.draft, index, delta)
    if (next === this.draft) return
    this.set(next)
    if (this.selected === index) this.selected = index + delta
    this.finder = null
  }

  /** The LR range test for one stage, as it is set (its thawed groups, spread and optimizer):
   * the sweep scales the whole spread, and its suggestion is the head's rate. A stage that thaws
   * backbone groups gets a shorter, coarser sweep (see lrSweep.ts). `groups` counts the backbone's
   * groups and the head, null while unknown. */
  async findLr(index: number, groups: number | null): Promise<void> {
    const stage = this.validation.plan?.stages[index]
    if (!stage) return
    const sweep = lrSweepFor(stage.freezeTo, groups)
    this.finding = index
    try {
      const result = await attempt(() => api.lrFind({ stage, steps: sweep.steps, views: training.views }))
      if (result) this.finder = { stage: index, result, sweep }
    } finally {
      this.finding = null
    }
  }

  useFinderSuggestion(): void {
    const f = this.finder
    const stage = f && this.draft.stages[f.stage]
    if (!f || !stage) return
    this.update(f.stage, { lr: withPeakLr(stage.lr, Number(f.result.suggestion.toPrecision(2))) })
  }

  /** Asks the studio where each stage's inputs will come from and what the caches cost; only the
   * answer to the latest plan is kept. */
  requestEstimate(plan: Plan): void {
    this.lastValid = plan
    if (this.estimateTimer) clearTimeout(this.estimateTimer)
    this.estimateTimer = setTimeout(() => void this.estimate(plan), ESTIMATE_DEBOUNCE_MS)
  }

  private async estimate(plan: Plan): Promise<void> {
    const seq = ++this.estimateSeq
    this.estimating = true
    try {
      const estimates = await api.estimateCaches({ plan, views: training.views })
      if (seq !== this.estimateSeq) return
      this.estimates = estimates
      this.estimateError = null
    } catch (err) {
      if (seq !== this.estimateSeq) return
      this.estimates = null
      this.estimateError = err instanceof StudioError || err instanceof Error ? err.message : String(err)
    } finally {
      if (seq === this.estimateSeq) this.estimating = false
    }
  }

  run(): void {
    const plan = this.validation.plan
    if (plan) void training.run({ plan }, 'layers')
  }
}

export const layersState = new LayersState()
