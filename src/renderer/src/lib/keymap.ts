// The library's keyboard map, as data: one function from a key press to an action, so the map is
// in one place (and the help overlay and tests can read it).

export type Direction = 'left' | 'right' | 'up' | 'down' | 'pageUp' | 'pageDown' | 'home' | 'end'

export type KeyAction =
  | { kind: 'label'; digit: number } // 1..9: the class at that position
  | { kind: 'unlabel' }
  | { kind: 'toggleSplit' }
  | { kind: 'toggleExclude' }
  | { kind: 'move'; direction: Direction; extend: boolean }
  | { kind: 'selectAll' }
  | { kind: 'clearSelection' }
  | { kind: 'undo' }
  | { kind: 'preview' }
  | { kind: 'help' }

export interface KeyPress {
  key: string
  shiftKey: boolean
  ctrlKey: boolean
  metaKey: boolean
  altKey: boolean
}

const ARROWS: Record<string, Direction> = {
  ArrowLeft: 'left',
  ArrowRight: 'right',
  ArrowUp: 'up',
  ArrowDown: 'down',
  PageUp: 'pageUp',
  PageDown: 'pageDown',
  Home: 'home',
  End: 'end'
}

export function keyAction(e: KeyPress): KeyAction | null {
  const mod = e.ctrlKey || e.metaKey
  if (e.altKey) return null
  if (mod) {
    const k = e.key.toLowerCase()
    if (k === 'z' && !e.shiftKey) return { kind: 'undo' }
    if (k === 'a') return { kind: 'selectAll' }
    return null
  }
  const direction = ARROWS[e.key]
  if (direction) return { kind: 'move', direction, extend: e.shiftKey }
  if (/^[1-9]$/.test(e.key)) return { kind: 'label', digit: Number(e.key) }
  if (e.key === '0' || e.key === 'u' || e.key === 'U') return { kind: 'unlabel' }
  if (e.key === 'v' || e.key === 'V') return { kind: 'toggleSplit' }
  if (e.key === 'x' || e.key === 'X') return { kind: 'toggleExclude' }
  if (e.key === 'Enter' || e.key === ' ') return { kind: 'preview' }
  if (e.key === 'Escape') return { kind: 'clearSelection' }
  if (e.key === '?') return { kind: 'help' }
  return null
}

/** The map for people, shown in the help panel. */
export const KEY_HELP: [keys: string, what: string][] = [
  ['1 – 9', 'label the selection with the class at that position'],
  ['0 or U', 'mark the selection unlabelled'],
  ['V', 'move the selection to valid (or back to train)'],
  ['X', 'exclude the selection from training and validation (or bring it back)'],
  ['← → ↑ ↓', 'move the focus (↑ ↓ by a row)'],
  ['Shift + arrows', 'extend the selection'],
  ['Page Up / Down, Home / End', 'jump a screen, to the first or last image'],
  ['Click, Shift+click, Ctrl/⌘+click', 'select one, a range, or toggle one'],
  ['Ctrl/⌘ + A', 'select every image under the filter'],
  ['Ctrl/⌘ + Z', 'undo the last change'],
  ['Enter or Space', 'open the large preview'],
  ['Esc', 'close the preview or clear the selection'],
  ['?', 'show this help']
]
