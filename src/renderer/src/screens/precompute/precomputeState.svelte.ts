// The precompute screen's state, kept outside the component so a precompute that is running (and
// its result) is still there after a visit to another screen.
import type { BackboneInfo, PrecomputeResult, PrecomputeStatus } from '../../../../shared/types'
import { engine } from '../../lib/engine.svelte'
import { plural } from '../../lib/format'
import { api, StudioError } from '../../lib/transport'
import { attempt, toasts } from '../../lib/toasts.svelte'

class PrecomputeState {
  running = $state(false)
  result = $state<PrecomputeResult | null>(null)
  /** the backbone picked on the screen; null: the project's own */
  chosen = $state<string | null>(null)
  /** what the cache already holds for the picked backbone and views (null until the studio says) */
  status = $state<PrecomputeStatus | null>(null)
  statusError = $state<string | null>(null)
  private statusSeq = 0
  private projectPath: string | null = null

  /** Asks the studio what is cached for this backbone and views; only the latest answer counts. */
  async loadStatus(backbone: string, views: number): Promise<void> {
    const seq = ++this.statusSeq
    if (this.status && (this.status.backbone !== backbone || this.status.views !== views)) this.status = null
    try {
      const status = await api.precomputeStatus({ backbone, views })
      if (seq !== this.statusSeq) return
      this.status = status
      this.statusError = null
    } catch (err) {
      if (seq !== this.statusSeq) return
      this.status = null
      this.statusError = err instanceof StudioError || err instanceof Error ? err.message : String(err)
    }
  }

  open(projectPath: string): void {
    if (projectPath === this.projectPath) return
    this.projectPath = projectPath
    this.result = null
    this.chosen = null
    this.status = null
  }

  async run(backbone: string, views: number): Promise<void> {
    this.running = true
    try {
      const r = await attempt(() => api.precompute({ backbone, views }))
      if (!r) return
      this.result = r
      toasts.success(`Precomputed ${plural(r.computed, 'activation')}${r.reused ? `, reused ${formatReused(r.reused)}` : ''}`)
      // the project now uses this backbone: the session reads it back when the job finishes
    } finally {
      this.running = false
    }
  }

  /** A backbone was imported: list it and pick it (the project uses it from its next precompute). */
  async imported(backbone: BackboneInfo): Promise<void> {
    await engine.refreshBackbones()
    if (!engine.backbone(backbone.id)) engine.backbones = [...engine.backbones, backbone]
    this.chosen = backbone.id
    toasts.success(`Imported ${backbone.displayName} as ${backbone.id}; precompute with it to use it in this project`)
  }
}

const formatReused = (n: number): string => `${n.toLocaleString('en-US')} from the cache`

export const precomputeState = new PrecomputeState()
