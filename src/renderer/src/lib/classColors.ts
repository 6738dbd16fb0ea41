// A class keeps its colour for life: it is picked from the class id, not its position, so
// renaming, reordering or deleting another class never repaints the grid.
const PALETTE = [
  '#4f7cff',
  '#f2994a',
  '#27ae60',
  '#eb5757',
  '#9b51e0',
  '#2d9cdb',
  '#d4a017',
  '#e056a0',
  '#1abc9c',
  '#8d6e63'
]

export function classColor(classId: number | null): string {
  if (classId === null) return 'var(--text-faint)'
  return PALETTE[(classId - 1) % PALETTE.length] ?? PALETTE[0]!
}
