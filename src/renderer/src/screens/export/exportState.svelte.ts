// The Export screen's state, kept outside the component so an export that is running (or its
// report) is still there after a visit to another screen.
import type { ExportFormat, ExportResult } from '../../../../shared/export'
import type { ModelSummary } from '../../../../shared/types'
import { api } from '../../lib/transport'
import { attempt, toasts } from '../../lib/toasts.svelte'

class ExportState {
  /** undefined while loading; null when the project has no model yet */
  model = $state<ModelSummary | null | undefined>(undefined)
  running = $state(false)
  result = $state<ExportResult | null>(null)
  private projectPath: string | null = null

  async loadModel(projectPath: string): Promise<void> {
    // another project's report would mislead
    if (projectPath !== this.projectPath) this.result = null
    this.projectPath = projectPath
    this.model = (await attempt(() => api.currentModel({}))) ?? null
  }

  async run(args: { format: ExportFormat; out: string; opset: number; overwrite: boolean }): Promise<void> {
    this.running = true
    this.result = null
    try {
      const r = await attempt(() => api.exportModel(args))
      if (r) {
        this.result = r
        toasts.success(`Exported to ${r.dir}: proven equal on ${r.check.images} validation images`)
      }
    } finally {
      this.running = false
    }
  }
}

export const exportState = new ExportState()
