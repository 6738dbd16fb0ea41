// The library grid's data and cursor: which images exist under the filter (fetched a page at a
// time, on demand), which one has the focus, and which are selected. Rendering lives in
// ThumbGrid; this file knows nothing of pixels except how many columns there are.
import type { ImageFilter, ImageItem, Split } from '../../../../shared/types'
import { PAGE_SIZE, PageCache } from '../../lib/pageCache'
import { api } from '../../lib/transport'
import { reportError } from '../../lib/toasts.svelte'

/** While the user flings the grid, wait for the scroll to settle (but never longer than the max)
 * before asking for pages, so a fast scroll does not queue requests for rows already gone. */
const LOAD_DEBOUNCE_MS = 60
const LOAD_MAX_WAIT_MS = 200
/** queryImages accepts at most 5000 per call */
const ID_BATCH = 5000

export class GridModel {
  /** images under the filter; null until the first page arrived */
  total = $state<number | null>(null)
  /** bumped whenever cached pages change: the one reactive dependency of the visible cells */
  version = $state(0)
  focusIndex = $state(0)
  focusId = $state<number | null>(null)
  selected = $state.raw<ReadonlySet<number>>(new Set())
  /** every image under the filter is selected (Ctrl+A), without fetching all their ids */
  allSelected = $state(false)
  cols = $state(1)
  /** rows that fit in the viewport, for Page Up / Page Down */
  pageRows = $state(1)

  private anchorIndex = 0
  private filter: ImageFilter = {}
  private filterKey = '{}'
  private readonly cache = new PageCache()
  private readonly inflight = new Map<string, Promise<void>>()
  private wanted = { first: 0, last: 0 }
  private loadTimer: ReturnType<typeof setTimeout> | null = null
  private firstWantAt = 0

  get selectionCount(): number {
    if (this.allSelected) return this.total ?? 0
    return this.selected.size
  }

  get focusedItem(): ImageItem | undefined {
    return this.itemAt(this.focusIndex)
  }

  /** The item at a position, if its page is cached. Reactive through `version`. */
  itemAt(index: number): ImageItem | undefined {
    void this.version
    const page = Math.floor(index / PAGE_SIZE)
    return this.cache.get(this.filterKey, page)?.items[index - page * PAGE_SIZE]
  }

  isSelected(id: number): boolean {
    return this.allSelected || this.selected.has(id)
  }

  /** New filter: start over at the top, unless the focused image is still in the new view. */
  async setFilter(filter: ImageFilter): Promise<void> {
    const key = JSON.stringify(filter)
    if (key === this.filterKey && this.total !== null) return
    const keepId = this.focusId
    this.filter = filter
    this.filterKey = key
    this.total = null
    this.focusIndex = 0
    this.focusId = null
    this.anchorIndex = 0
    this.selected = new Set()
    this.allSelected = false
    this.version++
    await this.loadPage(0, true)
    if (keepId !== null && key === this.filterKey) {
      const found = await api.indexOfImage({ id: keepId, filter }).catch(() => ({ index: null }))
      if (found.index !== null && key === this.filterKey && this.focusId === null) this.focusAt(found.index)
    }
    if (this.focusId === null) this.syncFocusId()
  }

  /** The grid tells which rows are on screen; pages for them load shortly (debounced). */
  want(first: number, last: number): void {
    this.wanted = { first, last }
    const now = performance.now()
    if (this.loadTimer === null) this.firstWantAt = now
    else clearTimeout(this.loadTimer)
    const waited = now - this.firstWantAt
    const delay = waited >= LOAD_MAX_WAIT_MS ? 0 : LOAD_DEBOUNCE_MS
    this.loadTimer = setTimeout(() => {
      this.loadTimer = null
      void this.loadWanted()
    }, delay)
  }

  private async loadWanted(): Promise<void> {
    const { first, last } = this.wanted
    const pages: Promise<void>[] = []
    for (let p = Math.floor(first / PAGE_SIZE); p <= Math.floor(Math.max(first, last) / PAGE_SIZE); p++) {
      if (!this.cache.isFresh(this.filterKey, p)) pages.push(this.loadPage(p))
    }
    await Promise.all(pages)
  }

  private loadPage(page: number, force = false): Promise<void> {
    const key = this.filterKey
    const gen = this.cache.gen
    const flightKey = `${gen}|${page}|${key}`
    const running = this.inflight.get(flightKey)
    if (running && !force) return running
    const filter = this.filter
    const work = api
      .queryImages({ filter, offset: page * PAGE_SIZE, limit: PAGE_SIZE })
      .then((result) => {
        // a page for a filter or generation that has moved on is dropped, not shown
        if (key !== this.filterKey || gen !== this.cache.gen) return
        this.cache.set(key, page, result.items, gen)
        this.total = result.total
        if (this.focusIndex >= result.total) this.focusIndex = Math.max(0, result.total - 1)
        this.version++
        if (this.focusId === null) this.syncFocusId()
      })
      .catch(reportError)
      .finally(() => this.inflight.delete(flightKey))
    this.inflight.set(flightKey, work)
    return work
  }

  /** Pages covering [first, last], fetched if needed; for ranges that may be off screen. */
  private async ensureRange(first: number, last: number): Promise<void> {
    const pages: Promise<void>[] = []
    for (let p = Math.floor(first / PAGE_SIZE); p <= Math.floor(last / PAGE_SIZE); p++) {
      if (!this.cache.get(this.filterKey, p)) pages.push(this.loadPage(p))
    }
    await Promise.all(pages)
  }

  /** The library changed: refetch what is on screen and keep the focus on the same image. */
  async refresh(): Promise<void> {
    this.cache.invalidate()
    const key = this.filterKey
    await this.loadWanted()
    if (this.total === null || this.version === 0) await this.loadPage(0)
    if (key !== this.filterKey) return
    // the focus as it is now: keys pressed while the pages were loading moved it
    const id = this.focusId
    if (id === null) {
      this.syncFocusId()
      return
    }
    const local = this.cache.indexOf(key, id)
    const index =
      local ?? (await api.indexOfImage({ id, filter: this.filter }).catch(() => ({ index: null }))).index
    if (key !== this.filterKey || this.focusId !== id) return // moved again meanwhile; a later refresh follows
    if (index !== null) {
      this.focusIndex = index
    } else {
      // the image left the view (relabelled elsewhere under a class filter): its successor slides into place
      this.focusIndex = Math.min(this.focusIndex, Math.max(0, (this.total ?? 1) - 1))
      this.focusId = null
      this.syncFocusId()
    }
  }

  /** Where the focused image is in the freshest data: labels applied a moment ago may have
   * shifted it before the refresh caught up, and moves must start from where it really is. */
  private currentFocusIndex(): number {
    if (this.focusId === null) return this.focusIndex
    return this.cache.indexOf(this.filterKey, this.focusId) ?? this.focusIndex
  }

  /** Fills focusId (and a lone selection) once the focused item's page is known. */
  private syncFocusId(): void {
    const item = this.itemAt(this.focusIndex)
    if (!item) return
    this.focusId = item.id
    if (!this.allSelected && this.selected.size <= 1) this.selected = new Set([item.id])
  }

  private clamp(index: number): number {
    const total = this.total ?? 0
    return Math.max(0, Math.min(index, total - 1))
  }

  private focusAt(index: number): void {
    this.focusIndex = this.clamp(index)
    this.focusId = this.itemAt(this.focusIndex)?.id ?? null
  }

  /** Plain click / arrow: focus one image and select just it. */
  select(index: number): void {
    this.focusAt(index)
    this.anchorIndex = this.focusIndex
    this.allSelected = false
    this.selected = this.focusId === null ? new Set() : new Set([this.focusId])
    if (this.focusId === null) void this.ensureRange(this.focusIndex, this.focusIndex).then(() => this.syncFocusId())
  }

  /** Shift+click / Shift+arrow: select from the anchor to here. */
  async extendTo(index: number): Promise<void> {
    this.focusAt(index)
    const [a, b] = [Math.min(this.anchorIndex, this.focusIndex), Math.max(this.anchorIndex, this.focusIndex)]
    const key = this.filterKey
    await this.ensureRange(a, b)
    if (key !== this.filterKey) return
    const ids = new Set<number>()
    for (let i = a; i <= b; i++) {
      const item = this.itemAt(i)
      if (item) ids.add(item.id)
    }
    this.allSelected = false
    this.selected = ids
    if (this.focusId === null) this.focusId = this.itemAt(this.focusIndex)?.id ?? null
  }

  /** Ctrl/Cmd+click: add or remove one image, keeping the rest. */
  async toggle(index: number): Promise<void> {
    const item = this.itemAt(index)
    if (!item) return
    const ids = new Set(this.allSelected ? await this.allIds() : this.selected)
    if (ids.has(item.id)) ids.delete(item.id)
    else ids.add(item.id)
    this.allSelected = false
    this.selected = ids
    this.focusAt(index)
    this.anchorIndex = index
  }

  move(delta: number, extend: boolean): void {
    if (!this.total) return
    const target = this.clamp(this.currentFocusIndex() + delta)
    if (extend) void this.extendTo(target)
    else this.select(target)
  }

  /** Arrow keys are grid-aware: up and down move by a whole row. */
  moveBy(direction: 'left' | 'right' | 'up' | 'down' | 'pageUp' | 'pageDown' | 'home' | 'end', extend: boolean): void {
    const rowStep = this.cols
    const pageStep = this.cols * Math.max(1, this.pageRows - 1)
    const deltas = {
      left: -1,
      right: 1,
      up: -rowStep,
      down: rowStep,
      pageUp: -pageStep,
      pageDown: pageStep,
      home: -Infinity,
      end: Infinity
    }
    const d = deltas[direction]
    if (!Number.isFinite(d)) {
      const target = d < 0 ? 0 : (this.total ?? 1) - 1
      if (extend) void this.extendTo(target)
      else this.select(target)
      return
    }
    this.move(d, extend)
  }

  selectAll(): void {
    if (!this.total) return
    this.allSelected = true
  }

  clearSelection(): void {
    this.allSelected = false
    this.selected = this.focusId === null ? new Set() : new Set([this.focusId])
  }

  /** Every id under the filter, a batch at a time (for actions on "select all"). */
  private async allIds(): Promise<number[]> {
    const ids: number[] = []
    const total = this.total ?? 0
    for (let offset = 0; offset < total; offset += ID_BATCH) {
      const page = await api.queryImages({ filter: this.filter, offset, limit: ID_BATCH })
      for (const item of page.items) ids.push(item.id)
    }
    return ids
  }

  /** What an action applies to: the selection, or else the focused image. */
  async targets(): Promise<number[]> {
    if (this.allSelected) return this.allIds()
    if (this.selected.size > 0) return [...this.selected]
    const item = this.focusedItem
    return item ? [item.id] : []
  }

  /** True when an action applies to the focused image alone (then the cursor moves on after it). */
  get singleTarget(): boolean {
    if (this.allSelected) return false
    return this.selected.size === 0 || (this.selected.size === 1 && this.focusId !== null && this.selected.has(this.focusId))
  }

  /** Shows a change at once; the studio's libraryChanged event brings the truth right after. */
  patch(ids: number[], change: Partial<Pick<ImageItem, 'classId' | 'split' | 'excluded'>>): void {
    this.cache.patch(new Set(ids), change)
    this.version++
  }

  /** Lobe-style triage: after labelling one image, the next one is up. */
  advance(): void {
    const from = this.currentFocusIndex()
    if (this.total !== null && from < this.total - 1) this.select(from + 1)
  }

  /** The split a toggle should move these to: back to train when all are in valid. */
  toggledSplit(ids: number[]): Split {
    const set = new Set(ids)
    for (const item of this.cache.items()) {
      if (set.has(item.id) && item.split !== 'valid') return 'valid'
    }
    return 'train'
  }

  /** X: exclude the targets, unless every one of them (among those loaded) is excluded already */
  shouldExclude(ids: number[]): boolean {
    const set = new Set(ids)
    for (const item of this.cache.items()) {
      if (set.has(item.id) && !item.excluded) return true
    }
    return false
  }
}
