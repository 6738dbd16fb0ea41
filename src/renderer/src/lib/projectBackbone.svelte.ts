// The layer groups of the open project's backbone, for the layers panel. The backbone's id comes
// with the project (ProjectInfo.backbone: the last one precomputed or trained with, else the
// recommended one); the groups are asked for only where they are drawn, and again when the
// project's backbone changes.
import type { BackboneGroups } from '../../../shared/types'
import { session } from './session.svelte'
import { api, StudioError } from './transport'

class ProjectBackbone {
  groups = $state<BackboneGroups | null>(null)
  /** why the groups could not be read (e.g. the backbone is not downloaded and there is no network) */
  error = $state<string | null>(null)
  loading = $state(false)
  /** project path and backbone id the groups (or the error) are for */
  private forKey: string | null = null

  /** Loads once per project and backbone. Failures are kept for the screen to show, not toasted. */
  async load(): Promise<void> {
    const project = session.project
    if (!project) return
    const key = `${project.path}\n${project.backbone}`
    // after a failure, the next screen that asks tries again
    if (this.forKey === key && (this.groups || this.loading)) return
    if (this.forKey !== key) this.groups = null
    this.forKey = key
    this.loading = true
    this.error = null
    const current = (): boolean => this.forKey === key
    try {
      const groups = await api.backboneGroups({ backbone: project.backbone })
      if (current()) this.groups = groups
    } catch (err) {
      if (current()) {
        this.groups = null
        this.error = err instanceof StudioError || err instanceof Error ? err.message : String(err)
      }
    } finally {
      if (current()) this.loading = false
    }
  }
}

export const projectBackbone = new ProjectBackbone()
