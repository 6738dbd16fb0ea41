// The embedding map's geometry, kept out of the component so it can be tested: fitting the
// points to the canvas, zoom about a point, hit tests and lasso selection.

export interface View {
  scale: number
  tx: number
  ty: number
}

/** A view that shows every point with a margin. */
export function fitView(x: ArrayLike<number>, y: ArrayLike<number>, width: number, height: number, margin = 16): View {
  let x0 = Infinity
  let x1 = -Infinity
  let y0 = Infinity
  let y1 = -Infinity
  for (let i = 0; i < x.length; i++) {
    x0 = Math.min(x0, x[i]!)
    x1 = Math.max(x1, x[i]!)
    y0 = Math.min(y0, y[i]!)
    y1 = Math.max(y1, y[i]!)
  }
  if (!Number.isFinite(x0)) return { scale: 1, tx: width / 2, ty: height / 2 }
  const scale = Math.min((width - 2 * margin) / Math.max(x1 - x0, 1e-9), (height - 2 * margin) / Math.max(y1 - y0, 1e-9))
  return { scale, tx: width / 2 - ((x0 + x1) / 2) * scale, ty: height / 2 - ((y0 + y1) / 2) * scale }
}

/** Zooms by `factor` keeping the data point under (px, py) where it is. */
export function zoomAt(v: View, px: number, py: number, factor: number): View {
  const scale = Math.min(1e6, Math.max(1e-6, v.scale * factor))
  const k = scale / v.scale
  return { scale, tx: px - (px - v.tx) * k, ty: py - (py - v.ty) * k }
}

/** The point nearest to (px, py) on screen within `radius` pixels, or -1. */
export function hitTest(x: ArrayLike<number>, y: ArrayLike<number>, v: View, px: number, py: number, radius = 6): number {
  let best = -1
  let bestD = radius * radius
  for (let i = 0; i < x.length; i++) {
    const dx = x[i]! * v.scale + v.tx - px
    const dy = y[i]! * v.scale + v.ty - py
    const d = dx * dx + dy * dy
    if (d <= bestD) {
      bestD = d
      best = i
    }
  }
  return best
}

/** Even-odd rule: is (px, py) inside the polygon? */
export function insidePolygon(px: number, py: number, poly: readonly [number, number][]): boolean {
  let inside = false
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!
    const [xj, yj] = poly[j]!
    if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) inside = !inside
  }
  return inside
}

/** Indices of the points whose screen position falls inside the lasso (screen coordinates). */
export function lassoSelect(x: ArrayLike<number>, y: ArrayLike<number>, v: View, lasso: readonly [number, number][]): number[] {
  if (lasso.length < 3) return []
  let minX = Infinity
  let maxX = -Infinity
  let minY = Infinity
  let maxY = -Infinity
  for (const [lx, ly] of lasso) {
    minX = Math.min(minX, lx)
    maxX = Math.max(maxX, lx)
    minY = Math.min(minY, ly)
    maxY = Math.max(maxY, ly)
  }
  const out: number[] = []
  for (let i = 0; i < x.length; i++) {
    const sx = x[i]! * v.scale + v.tx
    const sy = y[i]! * v.scale + v.ty
    if (sx < minX || sx > maxX || sy < minY || sy > maxY) continue
    if (insidePolygon(sx, sy, lasso)) out.push(i)
  }
  return out
}
