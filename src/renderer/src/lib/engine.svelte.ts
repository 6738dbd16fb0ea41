// What the studio computes with: the TF.js backend in use and the backbones it knows. Asked once
// per window; neither changes while the studio runs.
import type { BackboneInfo, EngineInfo } from '../../../shared/types'
import { api } from './transport'
import { attempt } from './toasts.svelte'

class Engine {
  info = $state<EngineInfo | null>(null)
  backbones = $state<BackboneInfo[]>([])
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
}

export const engine = new Engine()
