// The top-losses gallery's keyboard map, as data: one function from a key press to an action, so
// the map lives in one place (the help line and the tests read it too). Keyboard first: finding
// label noise is arrows and digits, never the mouse.

export type GalleryAction =
  | { kind: 'move'; to: number }
  | { kind: 'label'; digit: number } // 1..9: the class at that position in the library
  | { kind: 'unlabel' }
  | { kind: 'open' }
  | { kind: 'close' }
  | { kind: 'undo' }
  | { kind: 'misclassifiedOnly' } // show only the misclassified images, or all again

export interface GalleryKey {
  key: string
  ctrlKey: boolean
  metaKey: boolean
  altKey: boolean
}

/** `index` is the focused tile, `count` the tiles shown, `columns` how many fit in a row. */
export function galleryAction(e: GalleryKey, index: number, count: number, columns: number): GalleryAction | null {
  if (e.altKey) return null
  if (e.ctrlKey || e.metaKey) return e.key.toLowerCase() === 'z' ? { kind: 'undo' } : null
  const cols = Math.max(1, columns)
  const last = Math.max(0, count - 1)
  const clamp = (i: number): number => Math.min(Math.max(i, 0), last)
  switch (e.key) {
    case 'ArrowLeft':
      return { kind: 'move', to: clamp(index - 1) }
    case 'ArrowRight':
      return { kind: 'move', to: clamp(index + 1) }
    case 'ArrowUp':
      return { kind: 'move', to: index - cols >= 0 ? index - cols : index }
    case 'ArrowDown':
      return { kind: 'move', to: index + cols <= last ? index + cols : index }
    case 'Home':
      return { kind: 'move', to: 0 }
    case 'End':
      return { kind: 'move', to: last }
    case 'Enter':
    case ' ':
      return { kind: 'open' }
    case 'Escape':
      return { kind: 'close' }
    case 'u':
    case 'U':
    case '0':
      return { kind: 'unlabel' }
    case 'm':
    case 'M':
      return { kind: 'misclassifiedOnly' }
  }
  if (/^[1-9]$/.test(e.key)) return { kind: 'label', digit: Number(e.key) }
  return null
}

export const GALLERY_KEY_HELP: [keys: string, what: string][] = [
  ['← → ↑ ↓', 'move'],
  ['1 – 9', 'relabel to the class at that position'],
  ['U or 0', 'mark unlabelled'],
  ['Enter', 'larger view'],
  ['Esc', 'close it'],
  ['M', 'misclassified only, or all'],
  ['Ctrl/⌘ + Z', 'undo']
]
