// What the studio computes with: the TF.js backend in use and the backbones it knows. Asked once
// per window, and again after this window changes either (a backend switch, a backbone import).
import type { BackboneInfo, EngineInfo } from '../../../shared/types'
import type { BackendChoice } from './engineChoice'
import type { ProviderChoice, RuntimeChoice } from './runtimeChoice'
import { api } from './transport'
import { attempt, reportError, toasts } from './toasts.svelte'

class Engine {
  info = $state<EngineInfo | null>(null)
  backbones = $state<BackboneInfo[]>([])
  /** the backend preference the studio runs with (engineInfo says) */
  choice = $state<BackendChoice>('auto')
  /** what runs frozen forwards, and ONNX Runtime's provider (engineInfo says) */
  runtime = $state<RuntimeChoice>('auto')
  provider = $state<ProviderChoice>('auto')
  /** a switch is under way: the engine workers are restarting */
  switching = $state(false)
  private loading: Promise<void> | null = null

  load(): Promise<void> {
    this.loading ??= (async () => {
      const [info, backbones] = await Promise.all([attempt(() => api.engineInfo({})), attempt(() => api.listBackbones({}))])
      if (info) this.show(info)
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
   * A refusal (a running job, an unavailable backend) is shown as it came; the studio keeps the
   * backend it had. Returns whether the switch happened. */
  async setBackend(backend: BackendChoice): Promise<boolean> {
    if (this.switching) return false
    this.switching = true
    try {
      this.show(await api.setEngineBackend({ backend }))
      toasts.success(`Compute backend: ${this.info!.backend} (${this.info!.detail}${this.info!.gpu ? ', GPU' : ''})`)
      return true
    } catch (err) {
      reportError(err)
      return false
    } finally {
      this.switching = false
    }
  }

  /** Switches what runs the frozen forward passes, as setBackend does the TF.js backend. */
  async setFrozenRuntime(runtime: RuntimeChoice, provider: ProviderChoice): Promise<boolean> {
    if (this.switching) return false
    this.switching = true
    try {
      this.show(await api.setFrozenRuntime({ runtime, provider }))
      toasts.success(`Frozen part: ${this.info!.frozen.detail}`)
      return true
    } catch (err) {
      reportError(err)
      return false
    } finally {
      this.switching = false
    }
  }

  private show(info: EngineInfo): void {
    this.info = info
    this.choice = info.preference
    this.runtime = info.frozen.runtime
    this.provider = info.frozen.provider
  }
}

export const engine = new Engine()
