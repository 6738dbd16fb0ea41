// Train while labeling (issue #8 §8): when labels change, the head retrains from the cache in the
// background. Changes are debounced; a change during a run cancels it (it is stale); labeling is
// never blocked (an auto run is a job like any other, and label commands take no job). Runs are
// marked auto: only the latest is kept, and none becomes chosen by itself.
import type { StudioEvent } from '../../shared/contract'
import { headOnlyPlan } from '../../shared/plan'
import type { AutoTrainState } from '../../shared/types'
import type { Project } from '../project/project'
import type { StudioContext } from './context'
import { projectBackbone } from './handlers/engine'
import { runTraining } from './handlers/runTraining'

/** Library changes that change what a head would learn (an excluded image leaves its training set). */
const RELEVANT = new Set(['label', 'split', 'classes', 'undo', 'import', 'exclude'])

export const AUTO_PLAN = { epochs: 8, lr: 3e-3, seed: 42 }

export class AutoTrainer {
  private enabled = false
  private project: Project | null = null
  private timer: NodeJS.Timeout | null = null
  private running: { jobId: string | null; done: Promise<unknown> } | null = null
  private lastModel: number | null = null
  private lastError: string | null = null
  private readonly off: () => void

  constructor(
    private readonly s: StudioContext,
    private readonly debounceMs = 1500
  ) {
    this.off = s.subscribe((e) => this.onEvent(e))
  }

  state(): AutoTrainState {
    const phase = !this.enabled ? 'off' : this.running ? 'training' : this.timer ? 'waiting' : 'idle'
    return { enabled: this.enabled, phase, lastModel: this.lastModel, lastError: this.lastError }
  }

  setEnabled(enabled: boolean): AutoTrainState {
    if (enabled) {
      this.project = this.s.project()
      this.enabled = true
    } else this.stop()
    this.announce()
    return this.state()
  }

  /** Before a run the user asked for: the auto run gives way (it is cancelled, and awaited). */
  async yieldToUser(): Promise<void> {
    this.clearTimer()
    const r = this.running
    if (!r) return
    if (r.jobId) this.s.jobs.cancel(r.jobId)
    await r.done.catch(() => undefined)
  }

  close(): void {
    this.stop()
    this.off()
  }

  private stop(): void {
    this.enabled = false
    this.clearTimer()
    if (this.running?.jobId) this.s.jobs.cancel(this.running.jobId)
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  private announce(): void {
    this.s.emit('autoTrain', this.state())
  }

  private onEvent(e: StudioEvent): void {
    if (e.event === 'projectChanged') {
      if (e.payload?.path !== this.project?.dir) this.stop()
      return
    }
    if (!this.enabled || e.event !== 'libraryChanged' || !RELEVANT.has(e.payload.reason)) return
    // the run in progress learns from labels that just changed: it is stale
    if (this.running?.jobId) this.s.jobs.cancel(this.running.jobId)
    this.clearTimer()
    this.timer = setTimeout(() => void this.start(), this.debounceMs)
    this.timer.unref?.()
    this.announce()
  }

  private async start(): Promise<void> {
    this.timer = null
    const project = this.project
    if (!this.enabled || !project || this.s.maybeProject() !== project) return
    await this.running?.done.catch(() => undefined)
    if (!this.enabled || this.timer) return // disabled, or another change came meanwhile
    // the user's own jobs come first: try again once they are done
    if (this.s.jobs.active().some((j) => ['train', 'precompute', 'lr-find', 'import', 'export'].includes(j.kind))) {
      this.timer = setTimeout(() => void this.start(), this.debounceMs)
      this.timer.unref?.()
      return
    }
    const opts = { backbone: projectBackbone(project), plan: headOnlyPlan(AUTO_PLAN.epochs, AUTO_PLAN.lr), views: 0, precompute: true, seed: AUTO_PLAN.seed }
    const entry: { jobId: string | null; done: Promise<unknown> } = { jobId: null, done: Promise.resolve() }
    entry.done = this.s.jobs
      .run(
        'train',
        (job) => {
          entry.jobId = job.id
          return runTraining(this.s, project, job, { resume: false, opts, auto: true })
        },
        { exclusive: ['precompute', 'lr-find'] }
      )
      .then(
        (r) => {
          if (!r.cancelled) {
            this.lastModel = r.modelId
            this.lastError = null
          }
        },
        (err: Error & { code?: string }) => {
          if (err.code !== 'CANCELLED') this.lastError = err.message
        }
      )
      .finally(() => {
        if (this.running === entry) this.running = null
        this.announce()
      })
    this.running = entry
    this.announce()
  }
}

const trainers = new WeakMap<StudioContext, AutoTrainer>()

export function autoTrainer(s: StudioContext): AutoTrainer {
  let t = trainers.get(s)
  if (!t) {
    t = new AutoTrainer(s, Number(process.env.THAW_AUTO_TRAIN_DEBOUNCE_MS ?? 1500))
    trainers.set(s, t)
  }
  return t
}

/** The trainer if one was ever made (so a manual run can make it give way). */
export const existingAutoTrainer = (s: StudioContext): AutoTrainer | undefined => trainers.get(s)
