// What every uPlot chart in the studio shares: colours read from the theme's CSS variables (a
// canvas cannot use var()), axes in those colours, and two small plugins drawn on uPlot's own
// canvas: dashed lines where stages begin, and a marked point (the LR finder's suggestion).
import type uPlot from 'uplot'
import type { StageMark } from './curves'

export interface ChartColors {
  text: string
  grid: string
  accent: string
  /** one per series, in order; distinct in light and dark */
  series: string[]
}

const SERIES = ['#3d6df2', '#f2994a', '#27ae60', '#9b51e0', '#eb5757', '#2d9cdb', '#d4a017', '#e056a0', '#1abc9c', '#8d6e63']

function cssVar(name: string, fallback: string): string {
  if (typeof document === 'undefined') return fallback
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback
}

export function chartColors(): ChartColors {
  return {
    text: cssVar('--text-muted', '#5c6577'),
    grid: cssVar('--border', '#d9dde4'),
    accent: cssVar('--accent', '#3d6df2'),
    series: SERIES
  }
}

/** An axis in the theme's colours; `values` formats tick labels. */
export function axis(colors: ChartColors, opts: Partial<uPlot.Axis> = {}): uPlot.Axis {
  return {
    stroke: colors.text,
    grid: { stroke: colors.grid, width: 1 },
    ticks: { stroke: colors.grid, width: 1 },
    font: '11px system-ui, sans-serif',
    labelFont: '11px system-ui, sans-serif',
    ...opts
  }
}

/** Dashed vertical lines where each stage after the first begins, labelled with its name.
 * `marks` is read at every redraw, so live charts can pass a getter over changing state. */
export function stageMarksPlugin(marks: () => readonly StageMark[], colors: ChartColors): uPlot.Plugin {
  return {
    hooks: {
      draw: [
        (u) => {
          const ctx = u.ctx
          const { top, height } = u.bbox
          const px = devicePixelRatio || 1
          ctx.save()
          ctx.strokeStyle = colors.text
          ctx.fillStyle = colors.text
          ctx.setLineDash([4 * px, 4 * px])
          ctx.lineWidth = px
          ctx.font = `${11 * px}px system-ui, sans-serif`
          for (const m of marks()) {
            const x = Math.round(u.valToPos(m.x, 'x', true))
            ctx.beginPath()
            ctx.moveTo(x, top)
            ctx.lineTo(x, top + height)
            ctx.stroke()
            ctx.fillText(m.name, x + 4 * px, top + 12 * px)
          }
          ctx.restore()
        }
      ]
    }
  }
}

/** A ringed point with a vertical guide and a label: where the suggested learning rate sits. */
export function pointMarkerPlugin(point: () => { x: number; y: number | null; label: string } | null, colors: ChartColors, scale = 'y'): uPlot.Plugin {
  return {
    hooks: {
      draw: [
        (u) => {
          const p = point()
          if (!p) return
          const ctx = u.ctx
          const px = devicePixelRatio || 1
          const x = u.valToPos(p.x, 'x', true)
          const { top, height } = u.bbox
          ctx.save()
          ctx.strokeStyle = colors.accent
          ctx.fillStyle = colors.accent
          ctx.lineWidth = px
          ctx.setLineDash([2 * px, 3 * px])
          ctx.beginPath()
          ctx.moveTo(x, top)
          ctx.lineTo(x, top + height)
          ctx.stroke()
          ctx.setLineDash([])
          if (p.y !== null) {
            const y = u.valToPos(p.y, scale, true)
            ctx.lineWidth = 2 * px
            ctx.beginPath()
            ctx.arc(x, y, 5 * px, 0, 2 * Math.PI)
            ctx.stroke()
          }
          ctx.font = `${11 * px}px system-ui, sans-serif`
          ctx.fillText(p.label, x + 6 * px, top + 12 * px)
          ctx.restore()
        }
      ]
    }
  }
}

/** Tick labels for a log axis of learning rates: 1e-4, 1e-3 ... */
export const rateTicks = (_u: uPlot, values: (number | null)[]): string[] =>
  values.map((v) => (v === null || !Number.isFinite(v) ? '' : v === 0 ? '0' : v.toExponential(0).replace('+', '')))
