// The Export screen's state, kept outside the component so an export that is running (or its
// report) is still there after a visit to another screen.
import type { ExportFormat, ExportResult } from '../../../../shared/export'
import type { ModelSummary } from '../../../../shared/types'
import { api } from '../../lib/transport'
import { attempt, toasts } from '../../lib/toasts.svelte'
import { exportErrorText } from './exportError'

class ExportState {
  /** undefined while loading; null when the project has no model yet */
  model = $state<ModelSummary | null | undefined>(undefined)
  running = $state(false)
  /** the last export that succeeded: a refused or failed attempt leaves it on screen */
  result = $state<ExportResult | null>(null)
  /** why the last attempt failed, in the screen's words; the next attempt clears it */
  error = $state<string | null>(null)
  private projectPath: string | null = null

  async loadModel(projectPath: string): Promise<void> {
    // another project's report would mislead
    if (projectPath !== this.projectPath) {
      this.result = null
      this.error = null
    }
    this.projectPath = projectPath
    this.model = (await attempt(() => api.currentModel({}))) ?? null
  }

  async run(args: { format: ExportFormat; out: string; opset?: number; overwrite: boolean }): Promise<void> {
    this.running = true
    this.error = null
    try {
      const r = await api.exportModel(args)
      this.result = r
      toasts.success(`Exported to ${r.dir}: proven equal on ${r.check.images} validation images`)
    } catch (err) {
      // shown beside the Export button (the form is what needs changing), not in a passing toast
      this.error = exportErrorText(err as { code?: string; message?: string }, args)
    } finally {
      this.running = false
    }
  }
}

export const exportState = new ExportState()
