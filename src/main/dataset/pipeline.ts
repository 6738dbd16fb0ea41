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
 * Files in flight at once. Each sharp call runs on one of libuv's 4 threadpool threads (sharp
 * uses one libvips thread per image here), while reading and hashing happen on the main thread.
 * Measured on this 2-core machine (bench/cases/import.ts): 2 in flight leaves a core idle
 * while the other file is being read and hashed; 4 keeps both cores busy and is the fastest;
 * beyond the threadpool's 4, work only queues. So: twice the cores, capped at the pool size.
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
