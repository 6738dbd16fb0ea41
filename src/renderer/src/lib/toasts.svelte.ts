// Toasts: short messages in a corner. Errors stay until dismissed (they matter); the rest fade.
import { StudioError } from './transport'

export type ToastKind = 'info' | 'success' | 'error'

export interface ToastAction {
  label: string
  run: () => void
}

export interface Toast {
  id: number
  kind: ToastKind
  message: string
  action?: ToastAction | undefined
}

const AUTO_DISMISS_MS = { info: 4000, success: 4000, error: 12000 } as const

class Toasts {
  list = $state<Toast[]>([])
  private nextId = 1

  push(kind: ToastKind, message: string, action?: ToastAction): number {
    const id = this.nextId++
    // the same message twice in a row (e.g. a key held down) is shown once
    const last = this.list[this.list.length - 1]
    if (last && last.message === message && last.kind === kind) this.dismiss(last.id)
    this.list = [...this.list.slice(-4), { id, kind, message, action }]
    setTimeout(() => this.dismiss(id), AUTO_DISMISS_MS[kind])
    return id
  }

  dismiss(id: number): void {
    this.list = this.list.filter((t) => t.id !== id)
  }

  info(message: string, action?: ToastAction): number {
    return this.push('info', message, action)
  }

  success(message: string, action?: ToastAction): number {
    return this.push('success', message, action)
  }

  error(message: string): number {
    return this.push('error', message)
  }
}

export const toasts = new Toasts()

/** Shows any failure to the user: a StudioError's message as is, anything else with its text.
 * A cancelled job is news, not an error. */
export function reportError(err: unknown): void {
  if (err instanceof StudioError && err.code === 'CANCELLED') {
    toasts.info(err.message)
    return
  }
  const message = err instanceof Error ? err.message : String(err)
  console.error(err)
  toasts.error(message)
}

/** Runs an action and reports its failure; returns undefined when it failed. */
export async function attempt<T>(work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await work()
  } catch (err) {
    reportError(err)
    return undefined
  }
}
