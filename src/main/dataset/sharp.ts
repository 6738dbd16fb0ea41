// sharp (libvips), loaded when the studio first decodes an image rather than when it starts: the
// main thread imports the dataset code at start, and loading libvips there costs time and memory
// a session that never imports or previews does not need (the thread boundary: eslint.config.mjs,
// scripts/check-bundle.ts).
import type SharpModule from 'sharp'

export type SharpFn = typeof SharpModule

let loading: Promise<SharpFn> | null = null

/** The sharp function, imported once per thread. */
export function loadSharp(): Promise<SharpFn> {
  loading ??= import('sharp').then(
    (m) => (m as { default: SharpFn }).default ?? (m as unknown as SharpFn),
    (err: unknown) => {
      loading = null
      throw err
    }
  )
  return loading
}
