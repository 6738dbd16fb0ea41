// Running jobs as the studio reports them (jobProgress / jobFinished events), whoever started them.
import type { JobFinished, JobKind, JobProgress } from '../../../shared/types'
import { api, transport } from './transport'
import { attempt } from './toasts.svelte'

export const JOB_LABELS: Record<JobKind, string> = {
  import: 'Importing',
  'export-tree': 'Exporting folders',
  precompute: 'Precomputing',
  train: 'Training',
  'lr-find': 'Finding a learning rate',
  export: 'Exporting model',
  predict: 'Scoring every image',
  suspects: 'Finding label errors',
  duplicates: 'Finding near-duplicates',
  'embedding-map': 'Drawing the embedding map'
}

class Jobs {
  running = $state<JobProgress[]>([])
  /** the last finished job of each kind, so a dialog can tell how its job ended */
  finished = $state<Partial<Record<JobKind, JobFinished>>>({})

  constructor() {
    transport.onEvent((e) => {
      if (e.event === 'jobProgress') this.progress(e.payload as JobProgress)
      else if (e.event === 'jobFinished') this.finish(e.payload as JobFinished)
    })
  }

  private progress(p: JobProgress): void {
    const i = this.running.findIndex((j) => j.jobId === p.jobId)
    if (i === -1) this.running = [...this.running, p]
    else this.running[i] = p
  }

  private finish(f: JobFinished): void {
    this.running = this.running.filter((j) => j.jobId !== f.jobId)
    this.finished = { ...this.finished, [f.kind]: f }
  }

  ofKind(kind: JobKind): JobProgress | undefined {
    return this.running.find((j) => j.kind === kind)
  }

  cancel(jobId: string): void {
    void attempt(() => api.cancelJob({ jobId }))
  }
}

export const jobs = new Jobs()
