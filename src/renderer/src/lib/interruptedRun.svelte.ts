// The project's last training run that stopped without finishing (killed, crashed), if any, so
// the train and layers screens can offer to resume it. Read when a screen opens and again whenever
// a training job ends (a resumed run that finishes removes its checkpoint; one that dies leaves it).
import type { InterruptedRun, JobFinished } from '../../../shared/types'
import { session } from './session.svelte'
import { training, type RunOrigin } from './training.svelte'
import { api, transport } from './transport'

class Interrupted {
  /** undefined until asked; null when there is nothing to resume */
  run = $state<InterruptedRun | null | undefined>(undefined)
  private forPath: string | null = null
  private seq = 0

  constructor() {
    transport.onEvent((e) => {
      if (e.event === 'jobFinished' && (e.payload as JobFinished).kind === 'train') void this.reload()
      else if (e.event === 'projectChanged') this.forget()
    })
  }

  private forget(): void {
    this.run = undefined
    this.forPath = null
    this.seq++
  }

  async open(projectPath: string): Promise<void> {
    if (projectPath !== this.forPath) {
      this.forget()
      this.forPath = projectPath
    }
    await this.reload()
  }

  /** Quiet on failure: the banner is an offer, and an older studio may not answer. */
  async reload(): Promise<void> {
    const path = this.forPath
    if (!path) return
    const seq = ++this.seq
    try {
      const run = await api.interruptedRun({})
      if (seq === this.seq && session.project?.path === path) this.run = run
    } catch {
      if (seq === this.seq) this.run = null
    }
  }

  /** Forgets the interrupted run (its checkpoint); models already kept stay. */
  async discard(): Promise<void> {
    await api.discardInterruptedRun({})
    this.run = null
  }

  /** Continues the run from its checkpoint, with live curves like any run; the studio ignores
   * every other training option. */
  async resume(origin: RunOrigin): Promise<void> {
    this.run = null
    await training.run({ resume: true }, origin)
    await this.reload()
  }
}

export const interruptedRun = new Interrupted()
