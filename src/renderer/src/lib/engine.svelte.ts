// What the studio computes with: the TF.js backend in use and the backbones it knows. Asked once
// per window, and again after this window changes either (a backend switch, a backbone import).
import type { BackboneInfo, EngineInfo } from '../../../shared/types'
import { mustRestoreAfterFailedSwitch, isBackendChoice, type BackendChoice } from './engineChoice'
import { api, StudioError } from './transport'
import { attempt, reportError, toasts } from './toasts.svelte'

/** The studio does not say which preference it runs with (engineInfo names the backend in use):
 * the choice made in this tab is remembered for the tab, and 'auto' (the studio's default) is
 * assumed until one is made. */
const CHOICE_KEY = 'thaw:backend-choice'

function storedChoice(): BackendChoice {
  const v = sessionStorage.getItem(CHOICE_KEY)
  return isBackendChoice(v) ? v : 'auto'
}

class Engine {
  info = $state<EngineInfo | null>(null)
  backbones = $state<BackboneInfo[]>([])
  /** the backend preference last asked for from this tab */
  choice = $state<BackendChoice>(storedChoice())
  /** a switch is under way: the engine workers are restarting */
  switching = $state(false)
  private loading: Promise<void> | null = null

  load(): Promise<void> {
    this.loading ??= (async () => {
      const [info, backbones] = await Promise.all([attempt(() => api.engineInfo({})), attempt(() => api.listBackbones({}))])
      if (info) this.info = info
      if (backbones) this.backbones = backbones
      // a failed load may be retried by the next screen that asks
      if (!info || !backbones) this.loading = null
    })()
    return this.loading
  }

  backbone(id: string): BackboneInfo | undefined {
    return this.backbones.find((b) => b.id === id)
  }

  async refreshBackbones(): Promise<void> {
    const backbones = await attempt(() => api.listBackbones({}))
    if (backbones) this.backbones = backbones
  }

  /** Switches the backend (the studio restarts its engine workers) and shows what it reports.
   * A refusal is shown as it came (a running job, an unavailable backend) and the previous choice
   * stays: when the studio had already taken the new preference, it is asked for the old one again.
   * Returns whether the switch happened. */
  async setBackend(backend: BackendChoice): Promise<boolean> {
    if (this.switching) return false
    const previous = this.choice
    this.switching = true
    try {
      this.info = await api.setEngineBackend({ backend })
      this.choose(backend)
      toasts.success(`Compute backend: ${this.info.backend} (${this.info.detail}${this.info.gpu ? ', GPU' : ''})`)
      return true
    } catch (err) {
      reportError(err)
      const code = err instanceof StudioError ? err.code : undefined
      if (backend !== previous && mustRestoreAfterFailedSwitch(code)) {
        const restored = await attempt(() => api.setEngineBackend({ backend: previous }))
        if (restored) this.info = restored
      }
      return false
    } finally {
      this.switching = false
    }
  }

  private choose(backend: BackendChoice): void {
    this.choice = backend
    sessionStorage.setItem(CHOICE_KEY, backend)
  }
}

export const engine = new Engine()
