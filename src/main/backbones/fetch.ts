// Fetching a backbone once into the cache, from its official home or a mirror, verified file by
// file. After that the app runs offline: nothing here is called when the cache is complete.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { backboneDir, defaultCacheDir, isComplete, stampedFiles, sweepStaleParts, tempNameFor, writeStamp } from './cache'
import { BackboneError } from './errors'
import type { BackboneFile, BackboneSpec } from './types'

export interface FetchProgress {
  id: string
  file: string
  bytesDone: number
  bytesTotal: number
}

export interface FetchOptions {
  /** default: defaultCacheDir() */
  cacheDir?: string
  /** a URL or a folder laid out as `<mirror>/<id>/<file>`; default: $THAW_MODEL_MIRROR; null: none */
  mirror?: string | null
  onProgress?: (progress: FetchProgress) => void
  signal?: AbortSignal
}

export interface FetchedBackbone {
  dir: string
  /** file name -> sha256 of every file now in the cache */
  files: Map<string, string>
  /** true when nothing had to be fetched */
  wasCached: boolean
}

type Origin = { kind: 'url'; base: string } | { kind: 'folder'; dir: string }

/** The mirror, when there is one, wins over the spec's own address. */
function resolveOrigin(spec: BackboneSpec, baseUrl: string, mirror: string | null | undefined): Origin {
  if (mirror) {
    if (/^https?:\/\//i.test(mirror)) return { kind: 'url', base: `${mirror.replace(/\/+$/, '')}/${encodeURIComponent(spec.id)}/` }
    const dir = mirror.startsWith('file:') ? fileURLToPath(mirror) : path.resolve(mirror)
    return { kind: 'folder', dir: path.join(dir, spec.id) }
  }
  return { kind: 'url', base: baseUrl }
}

const inFlight = new Map<string, Promise<FetchedBackbone>>()

/** Makes sure the cache holds a verified copy of `spec`'s files, fetching what is missing.
 * Concurrent calls for the same folder share one download. */
export function fetchBackbone(spec: BackboneSpec, options: FetchOptions = {}): Promise<FetchedBackbone> {
  if (spec.source.kind !== 'download') {
    return Promise.reject(new BackboneError('BACKBONE_UNKNOWN', `${spec.id} is not downloaded: its source is ${spec.source.kind}`))
  }
  const dir = backboneDir(options.cacheDir ?? defaultCacheDir(), spec.id)
  const running = inFlight.get(dir)
  if (running) return running
  const job = fetchInto(dir, spec, spec.source.baseUrl, options).finally(() => inFlight.delete(dir))
  inFlight.set(dir, job)
  return job
}

async function fetchInto(dir: string, spec: BackboneSpec, baseUrl: string, options: FetchOptions): Promise<FetchedBackbone> {
  if (await isComplete(dir, spec)) {
    return { dir, files: await stampedFiles(dir), wasCached: true }
  }
  const origin = resolveOrigin(spec, baseUrl, options.mirror === undefined ? process.env['THAW_MODEL_MIRROR'] : options.mirror)
  if (origin.kind === 'folder') await assertMirrorFolder(origin.dir, spec.id)
  await mkdir(dir, { recursive: true })
  await sweepStaleParts(dir)

  const progress = { id: spec.id, file: '', bytesDone: 0, bytesTotal: spec.files.reduce((sum, file) => sum + file.bytes, 0) }
  const report = (file: string, bytes: number): void => {
    progress.file = file
    progress.bytesDone += bytes
    options.onProgress?.({ ...progress })
  }
  const files = new Map<string, string>()
  await runPool(spec.files, 4, async (file) => {
    options.signal?.throwIfAborted()
    const dest = path.join(dir, file.name)
    if (await alreadyThere(dest, file)) {
      files.set(file.name, file.sha256)
      report(file.name, file.bytes)
      return
    }
    const fetched = await fetchFile(origin, file, dest, (bytes) => report(file.name, bytes), options.signal)
    if (fetched) files.set(file.name, file.sha256)
    else {
      progress.bytesTotal -= file.bytes
      report(file.name, 0)
    }
  })
  await writeStamp(dir, spec.id, files)
  return { dir, files, wasCached: false }
}

/** A file a previous, interrupted fetch completed (renames happen only after verification,
 * but the content is checked again: the cache folder is the user's to tamper with). */
async function alreadyThere(dest: string, file: BackboneFile): Promise<boolean> {
  const info = await stat(dest).catch(() => null)
  if (!info || info.size !== file.bytes) return false
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(dest)) hash.update(chunk as Buffer)
  return hash.digest('hex') === file.sha256
}

async function assertMirrorFolder(dir: string, id: string): Promise<void> {
  const mirror = path.dirname(dir)
  const info = await stat(mirror).catch(() => null)
  if (!info?.isDirectory()) {
    throw new BackboneError('BACKBONE_MIRROR_MISSING', `THAW_MODEL_MIRROR points at ${mirror}, which is not an existing folder`)
  }
  if (!(await stat(dir).then((s) => s.isDirectory(), () => false))) {
    throw new BackboneError('BACKBONE_NOT_FOUND', `the mirror folder ${mirror} has no ${id}/ folder`)
  }
}

async function runPool<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  let failed = false
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const item = items[next++] as T
      try {
        await work(item)
      } catch (err) {
        failed = true
        throw err
      }
    }
  }
  const results = await Promise.allSettled(Array.from({ length: Math.min(width, items.length) }, worker))
  const rejected = results.find((result): result is PromiseRejectedResult => result.status === 'rejected')
  if (rejected) throw rejected.reason
}

/** Streams one file into a temp file beside `dest`, verifies size and sha256, then renames.
 * Returns false for an optional file the origin does not have. */
async function fetchFile(
  origin: Origin,
  file: BackboneFile,
  dest: string,
  onBytes: (bytes: number) => void,
  signal: AbortSignal | undefined
): Promise<boolean> {
  const source = origin.kind === 'url' ? await openUrl(origin.base, file, signal) : await openMirrorFile(origin.dir, file)
  if (source === null) return false
  const temp = tempNameFor(dest)
  const hash = createHash('sha256')
  let bytes = 0
  try {
    const handle = await open(temp, 'w')
    try {
      for (let chunk = await source.read(); chunk !== null; chunk = await source.read()) {
        signal?.throwIfAborted()
        hash.update(chunk)
        await handle.write(chunk)
        bytes += chunk.byteLength
        onBytes(chunk.byteLength)
        if (bytes > file.bytes) break // not the published file; no point filling the disk
      }
      await handle.sync()
    } finally {
      await handle.close()
    }
    const sha = hash.digest('hex')
    if (bytes !== file.bytes || sha !== file.sha256) {
      const got = bytes > file.bytes ? `more than ${file.bytes} bytes` : `${bytes} bytes with sha256 ${sha}`
      throw new BackboneError(
        'BACKBONE_CHECKSUM',
        `${source.where} gave ${got}; expected ${file.bytes} bytes with sha256 ${file.sha256}. ` +
          'The file is damaged or not the published one; nothing was kept.'
      )
    }
    await rename(temp, dest)
    return true
  } catch (err) {
    source.cancel()
    await unlink(temp).catch(() => undefined)
    throw wrapBreakOff(err, source.where, file, bytes)
  }
}

interface Source {
  where: string
  /** the next chunk, or null at the end */
  read(): Promise<Uint8Array | null>
  /** fire and forget: awaiting a cancel after an abort can hang undici's body stream */
  cancel(): void
}

async function openUrl(base: string, file: BackboneFile, signal: AbortSignal | undefined): Promise<Source | null> {
  const url = new URL(file.name, base).href
  let response: Response
  try {
    response = await fetch(url, { signal, redirect: 'follow' })
  } catch (err) {
    if (signal?.aborted) throw err
    throw new BackboneError(
      'BACKBONE_NETWORK',
      `could not reach ${url}: ${describeCause(err)}. Check the connection, or set THAW_MODEL_MIRROR to a folder or server that has the backbone.`,
      { cause: err }
    )
  }
  if (response.status === 404) {
    await response.body?.cancel()
    if (file.optional) return null
    throw new BackboneError('BACKBONE_NOT_FOUND', `${url} answered 404 Not Found: that address does not have ${file.name}`)
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel()
    throw new BackboneError('BACKBONE_HTTP_ERROR', `${url} answered ${response.status} ${response.statusText}`)
  }
  const reader = response.body.getReader()
  return {
    where: url,
    read: async () => {
      const { done, value } = await untilAborted(() => reader.read(), signal)
      return done ? null : value
    },
    cancel: () => void reader.cancel().catch(() => undefined)
  }
}

async function openMirrorFile(dir: string, file: BackboneFile): Promise<Source | null> {
  const full = path.join(dir, file.name)
  if (!(await stat(full).then((s) => s.isFile(), () => false))) {
    if (file.optional) return null
    throw new BackboneError('BACKBONE_NOT_FOUND', `the mirror has no ${file.name}: ${full} is missing`)
  }
  const stream = createReadStream(full)
  const chunks = stream[Symbol.asyncIterator]()
  return {
    where: full,
    read: async () => {
      const { done, value } = (await chunks.next()) as IteratorResult<Buffer>
      return done ? null : value
    },
    cancel: () => void stream.destroy()
  }
}

/** A stream that breaks off (server gone, socket reset) becomes one clear error; aborts,
 * checksum failures and disk errors pass through unchanged. */
function wrapBreakOff(err: unknown, where: string, file: BackboneFile, bytes: number): unknown {
  if (err instanceof BackboneError || (err as Error).name === 'AbortError' || (err as NodeJS.ErrnoException).syscall !== undefined) return err
  return new BackboneError(
    'BACKBONE_NETWORK',
    `the download of ${where} broke off after ${bytes} of ${file.bytes} bytes (${describeCause(err)}); nothing was kept, try again`,
    { cause: err }
  )
}

/** undici can leave a pending body read unsettled when its request is aborted: do not wait. */
function untilAborted<T>(start: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return start()
  signal.throwIfAborted()
  const promise = start()
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason)
    const settle = <A>(finish: (arg: A) => void) => (arg: A): void => {
      signal.removeEventListener('abort', onAbort)
      finish(arg)
    }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(settle(resolve), settle(reject))
  })
}

function describeCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err))
}
