// The Runs view's state: the project's models (read again when the studio says they changed),
// the sort, the two picked for comparison and their comparison.
import type { ModelComparison, ModelList } from '../../../../shared/types'
import { type RunSortKey } from '../../lib/runs'
import { attempt } from '../../lib/toasts.svelte'
import { api, transport } from '../../lib/transport'

export class RunsState {
  list = $state<ModelList | null>(null)
  sort = $state<RunSortKey>('date')
  /** the two models compared: a on the left, b on the right */
  a = $state<number | null>(null)
  b = $state<number | null>(null)
  comparison = $state<ModelComparison | null>(null)
  comparing = $state(false)
  private off: (() => void) | null = null

  start(): () => void {
    void this.load()
    this.off = transport.onEvent((e) => {
      if (e.event === 'modelsChanged') void this.load()
    })
    return () => this.off?.()
  }

  async load(): Promise<void> {
    const list = await attempt(() => api.listModels({}))
    if (!list) return
    this.list = list
    const ids = new Set(list.models.map((m) => m.id))
    if (this.a !== null && !ids.has(this.a)) this.a = null
    if (this.b !== null && !ids.has(this.b)) this.b = null
    if (this.comparison && (!ids.has(this.comparison.a.id) || !ids.has(this.comparison.b.id))) this.comparison = null
  }

  /** Marks a run for the left or right side; picking both sides starts the comparison. */
  pick(side: 'a' | 'b', id: number): void {
    if (side === 'a') this.a = id
    else this.b = id
    if (this.a !== null && this.b !== null && this.a !== this.b) void this.compare()
  }

  async compare(): Promise<void> {
    if (this.a === null || this.b === null) return
    this.comparing = true
    try {
      const a = this.a
      const b = this.b
      const c = await attempt(() => api.compareModels({ a, b }))
      if (c && this.a === a && this.b === b) this.comparison = c
    } finally {
      this.comparing = false
    }
  }

  async choose(id: number): Promise<void> {
    const list = await attempt(() => api.chooseModel({ id }))
    if (list) this.list = list
  }

  async rename(id: number, name: string, note: string): Promise<boolean> {
    const r = await attempt(() => api.updateModel({ id, name, note }))
    if (r) await this.load()
    return !!r
  }

  async remove(id: number): Promise<void> {
    const r = await attempt(() => api.deleteModel({ id }))
    if (r) await this.load()
  }
}
