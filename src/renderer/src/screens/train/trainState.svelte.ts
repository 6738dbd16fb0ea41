// The train screen's inputs and its LR-finder sweep, kept outside the component so they survive a
// visit to another screen.
import type { LrFindResult } from '../../../../shared/types'
import { formatRate } from '../../lib/planDraft'
import { training } from '../../lib/training.svelte'
import { api } from '../../lib/transport'
import { attempt, toasts } from '../../lib/toasts.svelte'

class TrainState {
  epochs = $state(5)
  lr = $state(3e-3)
  lrFinder = $state<LrFindResult | null>(null)
  finding = $state(false)
  private projectPath: string | null = null

  open(projectPath: string): void {
    if (projectPath === this.projectPath) return
    this.projectPath = projectPath
    this.lrFinder = null
  }

  /** fastai's LR range test on the head: a short sweep of rates, loss against rate. */
  async findLr(): Promise<void> {
    this.finding = true
    try {
      const r = await attempt(() => api.lrFind({ views: training.views }))
      if (r) {
        this.lrFinder = r
        toasts.info(`Suggested learning rate: ${formatRate(r.suggestion)}`)
      }
    } finally {
      this.finding = false
    }
  }

  useSuggestion(): void {
    if (this.lrFinder) this.lr = Number(this.lrFinder.suggestion.toPrecision(2))
  }
}

export const trainState = new TrainState()
