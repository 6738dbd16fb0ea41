import { app, dialog, type BrowserWindow } from 'electron'
import type { JobKind } from '../../shared/types'

/** How long quitting waits for the studio to close (jobs cancelled and finished, engine workers
 * ended, the database closed) before it quits anyway: a stuck worker must not keep a window-less
 * app alive. Cancelled jobs stop at their next step, well inside this. */
export const CLOSE_TIMEOUT_MS = 15_000

export interface QuitStudio {
  jobs: { active(): { jobId: string; kind: JobKind }[] }
  close(): Promise<void>
}

/** A running job in the question's words. */
const JOB_WORDS: Record<JobKind, string> = {
  import: 'an import',
  'export-tree': 'a class-folder export',
  precompute: 'a precompute',
  train: 'a training run',
  'lr-find': 'a learning-rate sweep',
  export: 'a model export',
  predict: 'a prediction run',
  suspects: 'a search for label suspects',
  duplicates: 'a search for near-duplicates',
  'embedding-map': 'an embedding map'
}

/** "A training run is running", "A precompute and a model export are running" */
export function runningJobsSentence(kinds: readonly JobKind[]): string {
  const words = [...new Set(kinds)].map((k) => JOB_WORDS[k] ?? `a ${k} job`)
  const list = words.length > 1 ? `${words.slice(0, -1).join(', ')} and ${words.at(-1)}` : (words[0] ?? '')
  return `${list.charAt(0).toUpperCase()}${list.slice(1)} ${words.length > 1 ? 'are' : 'is'} running`
}

/** Asks before a running job is stopped: true to quit. */
export async function confirmQuit(studio: QuitStudio, win: BrowserWindow | null): Promise<boolean> {
  const kinds = studio.jobs.active().map((j) => j.kind)
  if (!kinds.length) return true
  const options = {
    type: 'question' as const,
    buttons: ['Quit', 'Cancel'],
    defaultId: 1,
    cancelId: 1,
    message: `${runningJobsSentence(kinds)}. Quit Thaw Studio and stop ${kinds.length > 1 ? 'them' : 'it'}?`,
    detail: 'Labels and kept models are saved. An interrupted training run can be resumed from its checkpoint next time.'
  }
  const { response } = await (win && !win.isDestroyed() ? dialog.showMessageBox(win, options) : dialog.showMessageBox(options))
  return response === 0
}

/** The studio is closed, and awaited, before the app quits; a running job is only stopped after
 * the person agreed. Covers both ways out: closing the window (which quits: the app has one) and
 * the Quit menu item / Cmd+Q / the OS's quit (before-quit). */
export function setupQuit(studio: QuitStudio, opts: { window: () => BrowserWindow | null; timeoutMs?: number; log?: (m: string) => void }): {
  guardWindow: (win: BrowserWindow) => void
} {
  const timeoutMs = opts.timeoutMs ?? CLOSE_TIMEOUT_MS
  const log = opts.log ?? ((m: string) => console.warn(m))
  let phase: 'running' | 'closing' | 'closed' = 'running'
  /** the person agreed to stop the running jobs (or there were none) */
  let agreed = false
  let asking: Promise<boolean> | null = null

  const ask = (): Promise<boolean> => {
    if (agreed) return Promise.resolve(true)
    asking ??= confirmQuit(studio, opts.window()).then((ok) => {
      asking = null
      if (ok) agreed = true
      return ok
    })
    return asking
  }

  const closeStudio = async (): Promise<void> => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)))
    try {
      const outcome = await Promise.race([studio.close().then(() => 'closed' as const), timeout])
      if (outcome === 'timeout') log(`quit: the studio did not close within ${timeoutMs / 1000} s; quitting anyway`)
    } catch (err) {
      log(`quit: closing the studio failed: ${(err as Error).message}`)
    } finally {
      clearTimeout(timer)
    }
  }

  app.on('before-quit', (e) => {
    if (phase === 'closed') return
    e.preventDefault()
    if (phase === 'closing') return
    void ask().then(async (ok) => {
      if (!ok || phase !== 'running') return
      phase = 'closing'
      // the page cannot be used while the studio closes under it: out of sight at once
      const win = opts.window()
      if (win && !win.isDestroyed()) win.hide()
      await closeStudio()
      phase = 'closed'
      app.quit()
    })
  })

  return {
    guardWindow(win) {
      win.on('close', (e) => {
        if (agreed || phase !== 'running' || !studio.jobs.active().length) return
        e.preventDefault()
        void ask().then((ok) => {
          if (ok && !win.isDestroyed()) win.close()
        })
      })
    }
  }
}
