// Training as the whole app sees it: the project's kept model (what the train screen shows after
// a run and after a reopen), the run in progress with its epochs as they arrive (live curves on
// the train and layers screens), and the settings both screens train with.
import type { CommandArgs } from '../../../shared/contract'
import type { EpochMetrics, JobFinished, ModelSummary, TrainEpochEvent, TrainReport, TrainStageEvent } from '../../../shared/types'
import { jobs } from './jobs.svelte'
import { session } from './session.svelte'
import { api, transport } from './transport'
import { attempt, toasts } from './toasts.svelte'

export interface LiveRun {
  jobId: string
  epochs: EpochMetrics[]
  /** by stage index: its name and where its inputs come from */
  stages: TrainStageEvent[]
}

/** Which screen started the run this window is waiting for: each shows its own controls busy. */
export type RunOrigin = 'train' | 'layers'

const viewsKey = (projectPath: string): string => `thaw:views:${projectPath}`

class Training {
  /** undefined while loading; null when the project has no model yet */
  model = $state<ModelSummary | null | undefined>(undefined)
  live = $state<LiveRun | null>(null)
  /** set while a train command this window sent is running */
  origin = $state<RunOrigin | null>(null)
  /** epochs of the run this window started (all stages), for the live chart's axis; 0 if unknown */
  plannedEpochs = $state(0)
  /** epochs per stage of the run this window started, for the live per-stage charts */
  plannedStageEpochs = $state<number[]>([])
  /** augmented views per training image, chosen on the precompute screen and used by every run */
  views = $state(0)
  private projectPath: string | null = null

  constructor() {
    transport.onEvent((e) => {
      if (e.event === 'trainEpoch') this.onEpoch(e.payload as TrainEpochEvent)
      else if (e.event === 'trainStage') this.onStage(e.payload as TrainStageEvent)
      else if (e.event === 'jobFinished') this.onFinished(e.payload as JobFinished)
      else if (e.event === 'projectChanged') this.forget()
      // an image excluded or brought back (or that undone) leaves or joins the model's metrics and top losses
      else if (e.event === 'libraryChanged' && ['exclude', 'undo'].includes((e.payload as { reason: string }).reason) && this.model) void this.loadModel()
    })
  }

  /** A training job is running, whoever started it (this window, another tab). */
  get busy(): boolean {
    return this.origin !== null || jobs.ofKind('train') !== undefined
  }

  private liveFor(jobId: string): LiveRun {
    if (!this.live || this.live.jobId !== jobId) this.live = { jobId, epochs: [], stages: [] }
    return this.live
  }

  private onEpoch(e: TrainEpochEvent): void {
    const run = this.liveFor(e.jobId)
    run.epochs = [...run.epochs, e.metrics]
  }

  private onStage(e: TrainStageEvent): void {
    const run = this.liveFor(e.jobId)
    const stages = [...run.stages]
    stages[e.index] = e
    run.stages = stages
  }

  /** whoever ran it, a finished training leaves a new model in the project */
  private onFinished(f: JobFinished): void {
    if (f.kind === 'train' && f.ok && this.projectPath) void this.loadModel()
  }

  private forget(): void {
    this.model = undefined
    this.live = null
    this.projectPath = null
  }

  /** Called by the screens when they open: the project's model and settings. */
  async open(projectPath: string): Promise<void> {
    if (projectPath !== this.projectPath) {
      this.forget()
      this.projectPath = projectPath
      const stored = Number(localStorage.getItem(viewsKey(projectPath)))
      this.views = Number.isInteger(stored) && stored >= 0 && stored <= 16 ? stored : 0
      await this.loadModel()
    } else if (this.model === undefined) await this.loadModel()
  }

  async loadModel(): Promise<void> {
    const path = this.projectPath
    const model = await attempt(() => api.currentModel({}))
    if (path === this.projectPath && session.project?.path === path) this.model = model ?? null
  }

  /** The field refuses what is out of range (numberRule.ts); anything else reaching here is a bug,
   * and is refused too rather than clamped into another job than the one asked for. */
  setViews(views: number): void {
    if (!Number.isInteger(views) || views < 0 || views > 16) return
    this.views = views
    if (this.projectPath) localStorage.setItem(viewsKey(this.projectPath), String(this.views))
  }

  /** Runs a training job (a plan, or epochs and a rate for the head) and reports how it ended. */
  async run(args: CommandArgs<'train'>, origin: RunOrigin): Promise<TrainReport | undefined> {
    this.origin = origin
    this.live = null
    // a resumed run's plan is the studio's (not sent): its length is not known here
    this.plannedStageEpochs = args.resume ? [] : args.plan ? args.plan.stages.map((s) => s.epochs) : [args.epochs ?? 0]
    this.plannedEpochs = this.plannedStageEpochs.reduce((a, b) => a + b, 0)
    try {
      const report = await attempt(() => api.train({ views: this.views, ...args }))
      if (!report) return undefined
      const acc = `${(100 * report.valid.accuracy).toFixed(1)}% validation accuracy`
      if (report.cancelled) toasts.info(`Training cancelled: the best weights seen (lowest validation loss) were kept, ${acc}`)
      else toasts.success(`Trained: ${acc}`)
      await this.loadModel()
      return report
    } finally {
      this.origin = null
    }
  }
}

export const training = new Training()
