import os from 'node:os'
import type { ProbeOptions, ProbeResult } from './probe'
import type { ScannedFile } from './scan'
import { probeAndThumbnail } from './thumbnails'

export interface ProcessOptions extends ProbeOptions {
  thumbDir: string
  /** files in flight at once; see defaultConcurrency */
  concurrency?: number
  signal?: AbortSignal
  onProgress?: (progress: { done: number; total: number; failed: number }) => void
}

export interface Processed {
  file: ScannedFile
  result: ProbeResult
}

/**
 * Files in flight at once. Each file's decode + thumbnail runs on one of libuv's threadpool
 * threads (sharp gives each image one libvips thread on glibc Linux), while reading, hashing and
 * writing the thumbnail use the main thread and the same pool for fs calls. With only 2 in
 * flight on 2 cores, a core often idles while a file is between those stages; 4 keeps both busy.
 * Measured here (bench/cases/import.ts, 1,500 images per run, 3 interleaved rounds, load
 * average 9-13 from other work): median 9.6 ms/image at 2, 6.7 at 3, 5.4 at 4, 5.8 at 6.
 * Beyond the pool size files only queue, and hold their buffers in memory meanwhile.
 * So: twice the cores, at least 2, at most the pool size (4 unless UV_THREADPOOL_SIZE says).
 */
export function defaultConcurrency(): number {
  const pool = Number(process.env.UV_THREADPOOL_SIZE) || 4
  return Math.max(2, Math.min(pool, 2 * os.availableParallelism()))
}

/**
 * Probes each file and makes its thumbnail, a bounded number at a time, yielding results in
 * completion order (a slow 50 MP TIFF does not hold back the files after it).
 *
 * Cancel with the signal: no new file is started, the files in flight finish and are yielded
 * (their work is done and worth keeping), then the iteration throws the signal's reason.
 * Stopping the loop early (break) also starts nothing new. Bad files never throw; a thumbnail
 * cache that cannot be written does, since every file would fail the same way.
 */
export async function* processFiles(files: readonly ScannedFile[], opts: ProcessOptions): AsyncGenerator<Processed, void, undefined> {
  const limit = Math.max(1, Math.floor(opts.concurrency ?? defaultConcurrency()))
  const { signal } = opts
  const total = files.length
  const inFlight = new Map<number, Promise<{ index: number; item?: Processed; error?: unknown }>>()
  let next = 0
  let done = 0
  let failed = 0

  const launch = (): void => {
    while (inFlight.size < limit && next < total && !signal?.aborted) {
      const index = next++
      const file = files[index]!
      inFlight.set(
        index,
        probeAndThumbnail(file.path, opts.thumbDir, opts).then(
          (result) => ({ index, item: { file, result } }),
          (error: unknown) => ({ index, error })
        )
      )
    }
  }

  try {
    launch()
    while (inFlight.size > 0) {
      const settled = await Promise.race(inFlight.values())
      inFlight.delete(settled.index)
      if (settled.error !== undefined) throw settled.error
      const item = settled.item!
      done++
      if (!item.result.ok) failed++
      // start the next file before handing this one over, so decoding goes on while the
      // caller writes to its database
      launch()
      opts.onProgress?.({ done, total, failed })
      yield item
    }
    signal?.throwIfAborted()
  } finally {
    // on break or throw, let what is running finish quietly: thumbnails are written atomically,
    // and nothing must reject unhandled after the caller has gone
    for (const p of inFlight.values()) void p.catch(() => undefined)
  }
}
