// The open project's library as every panel sees it: classes with counts, overall status, the
// current filter, and the dialogs that act on it. Refreshed on libraryChanged events, whoever
// caused them (this window, another tab, the CLI).
import type { ClassInfo, ExportTreeResult, ImageFilter, ImportReport, ProjectStatus, Split } from '../../../shared/types'
import { plural } from './format'
import { session } from './session.svelte'
import { api, transport } from './transport'
import { attempt, toasts } from './toasts.svelte'

/** Coalesce bursts of change events (fast keyboard labelling) into one refetch. */
const REFRESH_DEBOUNCE_MS = 40
/** Counts cost the studio a scan of every image (~0.5 s at 100,000): refetch them at most this
 * often while someone labels fast. The grid itself shows each change at once. */
const COUNTS_INTERVAL_MS = 300

export type LibraryListener = (reason: string) => void

class Library {
  classes = $state<ClassInfo[]>([])
  status = $state<ProjectStatus | null>(null)
  filter = $state<ImageFilter>({})
  importOpen = $state(false)
  /** a folder for the Import dialog's field (a folder dropped on the desktop app's window) */
  importPrefill = $state<string | null>(null)
  exportOpen = $state(false)
  lastReport = $state<ImportReport | null>(null)
  importing = $state(false)
  exporting = $state(false)

  private readonly listeners = new Set<LibraryListener>()
  private timer: ReturnType<typeof setTimeout> | null = null
  private countsTimer: ReturnType<typeof setTimeout> | null = null
  private countsBusy = false
  private countsDirty = false
  private pendingReasons = new Set<string>()

  constructor() {
    // events sent while the connection was down are lost: after a reconnect, refetch everything
    let wasOpen = false
    transport.onStatus((status) => {
      if (status === 'open' && !wasOpen && session.ready) this.changed('reconnect')
      wasOpen = status === 'open'
    })
    transport.onEvent((e) => {
      if (e.event === 'libraryChanged') this.changed((e.payload as { reason: string }).reason)
      // new predictions (a run ended, another model was chosen): the grid's badges and filters
      if (e.event === 'predictionsChanged') this.changed('predictions')
      if (e.event === 'projectChanged') this.reset()
    })
  }

  /** Listeners hear about every change (a burst of changes once). */
  onChange(listener: LibraryListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private changed(reason: string): void {
    this.pendingReasons.add(reason)
    if (this.timer) return
    this.timer = setTimeout(() => {
      this.timer = null
      const reasons = [...this.pendingReasons].join(',')
      this.pendingReasons.clear()
      for (const l of this.listeners) l(reasons)
    }, REFRESH_DEBOUNCE_MS)
    this.scheduleCounts()
  }

  /** One count refetch at a time; changes that arrive meanwhile get one more afterwards. */
  private scheduleCounts(): void {
    this.countsDirty = true
    if (this.countsTimer || this.countsBusy) return
    this.countsTimer = setTimeout(() => {
      this.countsTimer = null
      this.countsBusy = true
      this.countsDirty = false
      void this.refresh().finally(() => {
        this.countsBusy = false
        if (this.countsDirty) this.scheduleCounts()
      })
    }, COUNTS_INTERVAL_MS)
  }

  reset(): void {
    this.classes = []
    this.status = null
    this.filter = {}
    this.lastReport = null
    if (session.project) void this.refresh()
  }

  async refresh(): Promise<void> {
    if (!session.project) return
    const [classes, status] = await Promise.all([
      attempt(() => api.listClasses({})),
      attempt(() => api.projectStatus({}))
    ])
    if (classes) this.classes = classes
    if (status) this.status = status
    // a filter on a class that no longer exists (deleted, merged) would show nothing forever
    const classId = this.filter.classId
    if (typeof classId === 'number' && classes && !classes.some((c) => c.id === classId)) {
      this.setFilter({ ...this.filter, classId: undefined })
    }
  }

  setFilter(filter: ImageFilter): void {
    // drop empty fields so equal filters have equal keys
    const clean: ImageFilter = {}
    if (filter.classId !== undefined) clean.classId = filter.classId
    if (filter.split) clean.split = filter.split
    if (filter.status && filter.status !== 'any') clean.status = filter.status
    if (filter.search?.trim()) clean.search = filter.search.trim()
    if (filter.disagrees) clean.disagrees = true
    if (filter.confidenceBelow !== undefined) clean.confidenceBelow = filter.confidenceBelow
    if (filter.order === 'margin') clean.order = 'margin'
    this.filter = clean
  }

  patchFilter(change: Partial<ImageFilter>): void {
    this.setFilter({ ...this.filter, ...change })
  }

  className(classId: number | null): string {
    if (classId === null) return 'unlabelled'
    return this.classes.find((c) => c.id === classId)?.name ?? '?'
  }

  /** The class a digit key picks: 1 is the first class in the sidebar, up to 9. */
  classForDigit(digit: number): ClassInfo | undefined {
    return this.classes[digit - 1]
  }

  /** Runs an import; the report is kept here so it survives closing the dialog. */
  async runImport(root: string, validPct: number, seed: number): Promise<ImportReport | undefined> {
    this.importing = true
    try {
      const report = await attempt(() => api.importFolder({ root, validPct, seed }))
      if (report) {
        this.lastReport = report
        const issues = report.problems.length + report.warnings.length
        const summary = `Imported ${plural(report.imported, 'image')}${issues ? `, ${plural(issues, 'problem or warning', 'problems or warnings')}` : ''}`
        // the dialog shows the report itself when open; otherwise say it is ready
        if (!this.importOpen) toasts.success(summary, { label: 'View report', run: () => (this.importOpen = true) })
      }
      return report
    } finally {
      this.importing = false
    }
  }

  async runExport(dest: string, bySplit: boolean): Promise<ExportTreeResult | undefined> {
    this.exporting = true
    try {
      return await attempt(() => api.exportClassTree({ dest, bySplit }))
    } finally {
      this.exporting = false
    }
  }

  async setLabel(ids: number[], classId: number | null): Promise<boolean> {
    const r = await attempt(() => api.setLabel({ ids, classId }))
    return r !== undefined
  }

  async setSplit(ids: number[], split: Split): Promise<boolean> {
    const r = await attempt(() => api.setSplit({ ids, split }))
    return r !== undefined
  }

  /** when the page last undid from each source; see undo() */
  private undoAt = { key: -Infinity, menu: -Infinity, button: -Infinity }

  /** Undoes the last change. In Electron, Ctrl+Z may reach the page as a key press and also as
   * the Edit menu's accelerator, in either order: one press must undo one step. */
  async undo(source: 'key' | 'menu' | 'button' = 'button'): Promise<void> {
    const now = performance.now()
    const other = source === 'key' ? this.undoAt.menu : source === 'menu' ? this.undoAt.key : -Infinity
    this.undoAt[source] = now
    if (now - other < 150) return
    const r = await attempt(() => api.undo({}))
    if (!r) return
    if (r.undone === null) toasts.info('Nothing to undo')
    else toasts.info(`Undone: ${r.undone}${r.remaining ? ` (${plural(r.remaining, 'more step')} to undo)` : ''}`)
  }

  async addClass(name: string): Promise<ClassInfo | undefined> {
    return attempt(() => api.addClass({ name }))
  }

  async renameClass(id: number, name: string): Promise<boolean> {
    return (await attempt(() => api.renameClass({ id, name }))) !== undefined
  }

  async mergeClasses(from: number, into: number): Promise<boolean> {
    return (await attempt(() => api.mergeClasses({ from, into }))) !== undefined
  }

  async deleteClass(id: number): Promise<boolean> {
    return (await attempt(() => api.deleteClass({ id }))) !== undefined
  }
}

export const library = new Library()
