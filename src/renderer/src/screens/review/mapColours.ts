// What colour each point of the embedding map gets, and the legend that says so: by label, by the
// chosen model's prediction, or by split; excluded images are grey in every colouring. Computed
// once per map and colouring (not per redraw): a pan or zoom at 20,000 points only draws.
import type { Split } from '../../../../shared/types'

export type ColourBy = 'label' | 'prediction' | 'split'

export const EXCLUDED_COLOUR = '#999999'
export const NONE_COLOUR = '#c8c8c8'
export const SPLIT_COLOURS: Record<Split, string> = { train: '#4f7cff', valid: '#f2994a', test: '#27ae60' }

export interface MapPoints {
  classIds: readonly (number | null)[]
  excluded: readonly boolean[]
}

/** per point, what the map does not carry itself: its split and the chosen model's predicted class */
export interface PointInfo {
  splits: readonly (Split | null)[]
  /** class id of the prediction, null where the model has not scored the image (or no class has that name) */
  predicted: readonly (number | null)[]
}

export interface LegendEntry {
  colour: string
  name: string
  count: number
}

/** Points grouped by colour (one fillStyle per group when drawing), with the legend, in the
 * order the legend lists them: the classes (or splits) in order, then "none", then excluded. */
export interface Colouring {
  groups: { colour: string; indices: Int32Array }[]
  legend: LegendEntry[]
}

export function colourPoints(
  points: MapPoints,
  by: ColourBy,
  info: PointInfo | null,
  classes: readonly { id: number; name: string }[],
  classColour: (id: number) => string
): Colouring {
  const n = points.classIds.length
  // keys: class ids (label, prediction), split names, or the two special groups
  const entries = new Map<string, { colour: string; name: string; order: number; indices: number[] }>()
  const order = new Map<string, number>()
  if (by === 'split') (['train', 'valid', 'test'] as const).forEach((s, i) => order.set(s, i))
  else classes.forEach((c, i) => order.set(String(c.id), i))
  const noneName = by === 'label' ? 'unlabelled' : by === 'prediction' ? 'not scored' : 'no split'
  const put = (key: string, colour: string, name: string, rank: number, i: number): void => {
    let e = entries.get(key)
    if (!e) entries.set(key, (e = { colour, name, order: rank, indices: [] }))
    e.indices.push(i)
  }
  const className = new Map(classes.map((c) => [c.id, c.name]))
  for (let i = 0; i < n; i++) {
    if (points.excluded[i]) {
      put('excluded', EXCLUDED_COLOUR, 'excluded', Number.MAX_SAFE_INTEGER, i)
      continue
    }
    if (by === 'split') {
      const s = info?.splits[i] ?? null
      if (s) put(s, SPLIT_COLOURS[s], s, order.get(s)!, i)
      else put('none', NONE_COLOUR, noneName, Number.MAX_SAFE_INTEGER - 1, i)
      continue
    }
    const id = by === 'label' ? (points.classIds[i] ?? null) : (info?.predicted[i] ?? null)
    const name = id === null ? undefined : className.get(id)
    if (id === null || name === undefined) put('none', NONE_COLOUR, noneName, Number.MAX_SAFE_INTEGER - 1, i)
    else put(String(id), classColour(id), name, order.get(String(id)) ?? classes.length, i)
  }
  const sorted = [...entries.values()].sort((a, b) => a.order - b.order)
  return {
    groups: sorted.map((e) => ({ colour: e.colour, indices: Int32Array.from(e.indices) })),
    legend: sorted.map((e) => ({ colour: e.colour, name: e.name, count: e.indices.length }))
  }
}
