// The open project's backbone and its layer groups (backboneGroups without an id answers for the
// project's own backbone: the last one precomputed or trained with, else the recommended one).
// The layers panel draws them; the precompute screen starts its picker on it.
import type { BackboneGroups } from '../../../shared/types'
import { session } from './session.svelte'
import { api, StudioError } from './transport'

class ProjectBackbone {
  groups = $state<BackboneGroups | null>(null)
  /** why the groups could not be read (e.g. the backbone is not downloaded and there is no network) */
  error = $state<string | null>(null)
  loading = $state(false)
  private forPath: string | null = null

  /** Loads once per project; `force` after something may have changed it (a precompute with
   * another backbone). Failures are kept for the screen to show, not toasted: a screen that only
   * wants the name can do without. */
  async load(force = false): Promise<void> {
    const path = session.project?.path ?? null
    if (!path || (!force && this.forPath === path && (this.groups || this.loading))) return
    if (this.forPath !== path) this.groups = null
    this.forPath = path
    this.loading = true
    this.error = null
    try {
      const groups = await api.backboneGroups({})
      if (session.project?.path === path) this.groups = groups
    } catch (err) {
      if (session.project?.path === path) {
        this.groups = null
        this.error = err instanceof StudioError || err instanceof Error ? err.message : String(err)
      }
    } finally {
      this.loading = false
    }
  }
}

export const projectBackbone = new ProjectBackbone()
