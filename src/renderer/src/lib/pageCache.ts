// A bounded cache of image pages, keyed by filter and page number. Plain (non-reactive) on
// purpose: the grid reads it through one version counter, so nothing here scales with the number
// of images. Least recently used pages go first, so memory stays flat however far one scrolls.
import type { ImageItem } from '../../../shared/types'

export const PAGE_SIZE = 200

interface Entry {
  /** the cache generation the page was fetched in; older pages are stale but still shown */
  gen: number
  items: ImageItem[]
}

export class PageCache {
  private readonly pages = new Map<string, Entry>()
  private generation = 0

  constructor(readonly capacity = 32) {}

  get gen(): number {
    return this.generation
  }

  get size(): number {
    return this.pages.size
  }

  private static key(filterKey: string, page: number): string {
    return `${page}|${filterKey}`
  }

  /** The page if cached, fresh or stale (showing stale data beats blank cells while refetching). */
  get(filterKey: string, page: number): Entry | undefined {
    return this.pages.get(PageCache.key(filterKey, page))
  }

  isFresh(filterKey: string, page: number): boolean {
    return this.get(filterKey, page)?.gen === this.generation
  }

  set(filterKey: string, page: number, items: ImageItem[], gen: number): void {
    const key = PageCache.key(filterKey, page)
    this.pages.delete(key) // re-insert so it becomes the most recent
    this.pages.set(key, { gen, items })
    while (this.pages.size > this.capacity) {
      const oldest = this.pages.keys().next().value
      if (oldest === undefined) break
      this.pages.delete(oldest)
    }
  }

  /** Marks every page stale (the library changed); they are refetched when next needed. */
  invalidate(): number {
    return ++this.generation
  }

  clear(): void {
    this.pages.clear()
    this.generation++
  }

  /** Where an image sits under a filter, if a fresh cached page holds it. */
  indexOf(filterKey: string, id: number): number | null {
    const suffix = `|${filterKey}`
    for (const [key, entry] of this.pages) {
      if (entry.gen !== this.generation || !key.endsWith(suffix)) continue
      const i = entry.items.findIndex((item) => item.id === id)
      if (i !== -1) return Number(key.slice(0, key.indexOf('|'))) * PAGE_SIZE + i
    }
    return null
  }

  /** Every cached item, whatever its page or filter (for looking up what is known about ids). */
  *items(): Iterable<ImageItem> {
    for (const entry of this.pages.values()) yield* entry.items
  }

  /** Applies a change to cached items (optimistic update before the studio confirms). */
  patch(ids: ReadonlySet<number>, change: Partial<Pick<ImageItem, 'classId' | 'split' | 'excluded'>>): void {
    for (const entry of this.pages.values()) {
      for (let i = 0; i < entry.items.length; i++) {
        const item = entry.items[i]!
        if (ids.has(item.id)) entry.items[i] = { ...item, ...change }
      }
    }
  }
}
