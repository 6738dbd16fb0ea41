// Browser mode: files and folders from the person's computer, uploaded into the project's
// uploads folder and imported from there. One upload at a time: review what goes where, send
// the files (a few at once) with progress, then the import runs as any import does.
import type { ImportReport } from '../../../shared/types'
import { planUpload, type DroppedFile, type UploadPlan } from '../../../shared/upload'
import { api, transport } from './transport'
import { sendFile } from './upload'
import { attempt } from './toasts.svelte'

export type UploadPhase = 'pick' | 'review' | 'uploading' | 'importing' | 'done'

export interface UploadOutcome {
  written: number
  unchanged: number
  duplicates: { path: string; note: string }[]
  renamed: { path: string; note: string }[]
  refused: { path: string; reason: string }[]
  cancelled: boolean
}

/** files in flight at once: enough to hide the round trips, few enough not to crowd the studio */
const PARALLEL = 3

class Uploads {
  open = $state(false)
  phase = $state<UploadPhase>('pick')
  dropped = $state.raw<DroppedFile<File>[]>([])
  /** the class loose files go into; '' leaves them unlabelled */
  looseClass = $state('')
  done = $state(0)
  bytesDone = $state(0)
  outcome = $state<UploadOutcome | null>(null)
  report = $state<ImportReport | null>(null)
  private abort: AbortController | null = null

  /** uploads work only where the studio runs elsewhere: browser mode */
  get available(): boolean {
    return transport.uploadUrl('x') !== null
  }

  plan(): UploadPlan<File> {
    return planUpload(this.dropped, this.looseClass.trim() || null)
  }

  /** Start over with nothing chosen (the dialog's pickers). */
  show(): void {
    if (this.phase === 'uploading' || this.phase === 'importing') {
      this.open = true
      return
    }
    this.reset()
    this.open = true
  }

  /** What was dropped or picked: show where each file will go before anything is sent. */
  review(files: DroppedFile<File>[]): void {
    if (this.phase === 'uploading' || this.phase === 'importing') return
    this.reset()
    this.dropped = files
    this.phase = 'review'
    this.open = true
  }

  private reset(): void {
    this.phase = 'pick'
    this.dropped = []
    this.done = 0
    this.bytesDone = 0
    this.outcome = null
    this.report = null
  }

  cancel(): void {
    this.abort?.abort()
  }

  async run(validPct: number, seed: number): Promise<void> {
    const plan = this.plan()
    if (!plan.items.length) return
    this.abort = new AbortController()
    const signal = this.abort.signal
    this.phase = 'uploading'
    this.done = 0
    this.bytesDone = 0
    const outcome: UploadOutcome = { written: 0, unchanged: 0, duplicates: [], renamed: [], refused: [...plan.skipped], cancelled: false }
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < plan.items.length && !signal.aborted) {
        const item = plan.items[next++]!
        try {
          const f = await sendFile(transport.uploadUrl(item.target)!, item.file)
          if (f.status === 'duplicate') outcome.duplicates.push({ path: item.target, note: f.note ?? '' })
          else if (f.status === 'unchanged') outcome.unchanged++
          else {
            outcome.written++
            if (f.note) outcome.renamed.push({ path: item.target, note: f.note })
          }
        } catch (err) {
          outcome.refused.push({ path: item.target, reason: (err as Error).message })
        }
        this.done++
        this.bytesDone += item.file.size
      }
    }
    await Promise.all(Array.from({ length: Math.min(PARALLEL, plan.items.length) }, worker))
    outcome.cancelled = signal.aborted
    this.outcome = outcome
    this.abort = null
    if (outcome.cancelled || outcome.written + outcome.unchanged === 0) {
      this.phase = 'done'
      return
    }
    this.phase = 'importing'
    this.report = (await attempt(() => api.importUploads({ validPct, seed }))) ?? null
    this.phase = 'done'
  }
}

export const uploads = new Uploads()
